//! What phone calls say: the dialog flows, their steps and the fixed phone phrases.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum StepKind {
    Pin,
    Account,
    Amount,
    Zip,
    Address,
    Day,
    Confirm,
}

pub(super) struct Step {
    pub(super) kind: StepKind,
    pub(super) ask: &'static str,
    pub(super) node: &'static str,
    pub(super) title: &'static str,
    pub(super) cond: &'static str,
    pub(super) speech: &'static [&'static str],
    pub(super) replies: &'static [&'static str],
}

pub(super) struct Flow {
    pub(super) reason: &'static str,
    pub(super) intent: &'static str,
    pub(super) node: &'static str,
    pub(super) title: &'static str,
    pub(super) menu: &'static str,
    pub(super) utterances: &'static [&'static str],
    pub(super) ack: &'static [&'static str],
    /// Said right away when the flow has no steps.
    pub(super) answer: &'static [&'static str],
    pub(super) steps: &'static [Step],
}

pub(super) const STEP_PIN: Step = Step {
    kind: StepKind::Pin,
    ask: "Please enter your four digit PIN, followed by the pound key.",
    node: "slot_4_1708451402",
    title: "Collect PIN",
    cond: "true",
    speech: &[],
    replies: &[
        "Thank you, your PIN is verified.",
        "Thanks, you're verified.",
    ],
};

pub(super) const FLOW_WEIGHTS: [u32; 7] = [25, 20, 15, 8, 10, 7, 15];

pub(super) const FLOWS: [Flow; 7] = [
    Flow {
        reason: "pay_bill",
        intent: "pay_bill",
        node: "node_3_1708451377",
        title: "Pay bill",
        menu: "billing",
        utterances: &[
            "i'd like to pay my bill",
            "pay my bill",
            "i want to make a payment",
            "can i pay my bill over the phone",
            "i need to pay the bill for {city}",
        ],
        ack: &["Sure.", "I can help you pay your bill.", "Okay."],
        answer: &[],
        steps: &[
            STEP_PIN,
            Step {
                kind: StepKind::Amount,
                ask: "Your balance is {amount}. How much would you like to pay today?",
                node: "node_5_1708451488",
                title: "Payment amount",
                cond: "@sys-currency",
                speech: &[
                    "{amount_words}",
                    "i'd like to pay {amount_words}",
                    "the full amount",
                    "pay all of it",
                ],
                replies: &[
                    "Thank you. Your payment of {amount_words} is scheduled for today. Your confirmation number is {conf}.",
                    "Done. {amount} will be charged to the card on file.",
                ],
            },
        ],
    },
    Flow {
        reason: "check_balance",
        intent: "check_balance",
        node: "node_7_1708451590",
        title: "Check balance",
        menu: "billing",
        utterances: &[
            "what's my balance",
            "check my balance",
            "how much do i owe",
            "when is my bill due",
        ],
        ack: &["Sure.", "I can look that up."],
        answer: &[],
        steps: &[Step {
            kind: StepKind::Account,
            ask: "Please enter your eight digit account number, followed by the pound key.",
            node: "slot_8_1708451602",
            title: "Collect account number",
            cond: "true",
            speech: &[],
            replies: &[
                "Your balance is {amount}, due on {eta}.",
                "You owe {amount}. Your next payment is due {eta}.",
            ],
        }],
    },
    Flow {
        reason: "report_outage",
        intent: "report_outage",
        node: "node_14_1708452210",
        title: "Report outage",
        menu: "outages",
        utterances: &[
            "my internet is down",
            "i want to report an outage",
            "there's no power at my house",
            "the service isn't working in {city}",
        ],
        ack: &["I'm sorry to hear that.", "I can check that for you."],
        answer: &[],
        steps: &[
            Step {
                kind: StepKind::Zip,
                ask: "Please say or enter the five digit zip code of the affected address.",
                node: "slot_15_1708452230",
                title: "Collect zip code",
                cond: "@sys-number",
                speech: &["{zip_words}", "it's {zip_words}"],
                replies: &[
                    "We are aware of an outage near {city}. Crews expect to restore service by {time}.",
                    "There's no known outage at that address. I've opened ticket {conf} for a technician.",
                ],
            },
            Step {
                kind: StepKind::Confirm,
                ask: "Would you like a text message when service is restored?",
                node: "node_16_1708452251",
                title: "Offer text updates",
                cond: "#yes || #no",
                speech: &["yes", "yes please", "no thanks", "sure"],
                replies: &["Okay, you're all set.", "Got it."],
            },
        ],
    },
    Flow {
        reason: "update_address",
        intent: "update_address",
        node: "node_18_1708452300",
        title: "Update address",
        menu: "account",
        utterances: &[
            "i moved",
            "i need to change my address",
            "update my mailing address",
        ],
        ack: &["I can help with that."],
        answer: &[],
        steps: &[
            STEP_PIN,
            Step {
                kind: StepKind::Address,
                ask: "Please say your new street address.",
                node: "slot_19_1708452321",
                title: "Collect address",
                cond: "true",
                speech: &[
                    "{house_words} {street}",
                    "it's {house_words} {street} in {city}",
                ],
                replies: &["Thanks. I've updated your address to {house} {street_title}."],
            },
        ],
    },
    Flow {
        reason: "appointment",
        intent: "schedule_appointment",
        node: "node_21_1708452400",
        title: "Schedule technician",
        menu: "service",
        utterances: &[
            "i need to schedule a technician",
            "book an appointment",
            "can someone come out to fix my router",
        ],
        ack: &["Sure, let's find a time."],
        answer: &[],
        steps: &[
            Step {
                kind: StepKind::Day,
                ask: "What day works best for a technician visit?",
                node: "slot_22_1708452418",
                title: "Collect day",
                cond: "@sys-date",
                speech: &[
                    "{weekday}",
                    "{weekday} morning",
                    "next {weekday}",
                    "as soon as possible",
                ],
                replies: &["I have an opening on {weekday} between {time} and {time2}."],
            },
            Step {
                kind: StepKind::Confirm,
                ask: "Should I book it?",
                node: "node_23_1708452440",
                title: "Confirm booking",
                cond: "#yes || #no",
                speech: &["yes", "yes please", "that works", "no"],
                replies: &["You're booked. You'll get a reminder the day before."],
            },
        ],
    },
    Flow {
        reason: "cancel_service",
        intent: "cancel_service",
        node: "node_25_1708452500",
        title: "Cancel service",
        menu: "account",
        utterances: &[
            "cancel my service",
            "i want to cancel my account",
            "i'm moving and need to stop service",
        ],
        ack: &["I can help with that."],
        answer: &[],
        steps: &[
            STEP_PIN,
            Step {
                kind: StepKind::Confirm,
                ask: "Are you sure you want to cancel your service?",
                node: "node_26_1708452520",
                title: "Confirm cancellation",
                cond: "#yes || #no",
                speech: &["yes", "yes i'm sure", "no wait"],
                replies: &[
                    "Your cancellation request is recorded. A specialist will call you within two business days.",
                ],
            },
        ],
    },
    Flow {
        reason: "store_hours",
        intent: "store_hours",
        node: "node_28_1708452600",
        title: "Store hours",
        menu: "info",
        utterances: &[
            "what are your hours",
            "when does the {city} store open",
            "are you open on {weekday}",
        ],
        ack: &[""],
        answer: &[
            "Our {city} store is open from 9am to 9pm, Monday through Saturday, and 10am to 6pm on Sunday.",
            "On {weekday} we're open from {time} to 8pm.",
        ],
        steps: &[],
    },
];

pub(super) const GREETINGS: &[&str] = &[
    "Thanks for calling {company}. You can say pay my bill, check my balance, or report an outage.",
    "Welcome to {company}. How can I help you today?",
    "Hello, thanks for calling {company}. In a few words, tell me why you're calling, or press 1 for billing.",
    "Thank you for calling {company}. This call may be recorded for quality purposes. How can I help?",
];
pub(super) const ANYTHING_ELSE: &str = "Is there anything else I can help you with?";
pub(super) const CLOSING: &str = "Thanks for calling {company}. Goodbye!";
pub(super) const GOODBYE_UTTERANCES: &[&str] = &[
    "no that's all thanks",
    "no thank you",
    "that's it bye",
    "nope that's everything",
];
pub(super) const AGENT_PHONE: &[&str] = &[
    "agent",
    "representative",
    "talk to a person",
    "operator",
    "i want to speak to someone",
    "customer service",
];
pub(super) const TRANSFER_TEXTS: &[&str] = &[
    "One moment while I transfer you to an agent.",
    "Please hold while I connect you to a specialist.",
    "Sure, transferring you to our support team now.",
];
pub(super) const TRANSFER_FAILED_TEXTS: &[&str] = &[
    "I'm sorry, all of our agents are busy right now. Please call back between 8am and 8pm. Goodbye.",
    "Sorry, I couldn't complete the transfer. Please try again later. Goodbye.",
];
pub(super) const TIMEOUT_TEXTS: &[&str] =
    &["Sorry, I didn't hear anything.", "Are you still there?"];
pub(super) const LOG_WARNINGS: &[(&str, &str)] = &[
    (
        "Variable $promo_code is not defined.",
        "unresolved_variable",
    ),
    (
        "Slot prompt was repeated because no value was found.",
        "slot_no_match",
    ),
    (
        "Condition could not be evaluated: $account_tier is null.",
        "condition_error",
    ),
];

impl Flow {
    pub(super) fn intent_condition(&self) -> &'static str {
        match self.intent {
            "pay_bill" => "#pay_bill",
            "check_balance" => "#check_balance",
            "report_outage" => "#report_outage",
            "update_address" => "#update_address",
            "schedule_appointment" => "#schedule_appointment",
            "cancel_service" => "#cancel_service",
            _ => "#store_hours",
        }
    }
}
