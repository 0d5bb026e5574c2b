//! Web chat help-center articles (conversational search) and the assistant's fixed web phrases.

pub(super) struct Article {
    pub(super) id: &'static str,
    pub(super) title: &'static str,
    pub(super) body: &'static str,
    pub(super) questions: &'static [&'static str],
    pub(super) answer: &'static str,
}

pub(super) const ARTICLES: &[Article] = &[
    Article {
        id: "kb-0192",
        title: "Returns and refunds",
        body: "Opened electronics may be returned within 30 days of delivery with all original accessories. A 10% restocking fee applies.",
        questions: &[
            "Can I return opened {product}?",
            "is there a restocking fee on a {product}",
        ],
        answer: "Yes. An opened {product} can be returned within 30 days if all accessories are included; a 10% restocking fee applies.",
    },
    Article {
        id: "kb-0007",
        title: "Price match guarantee",
        body: "We match the price of identical items sold by major retailers within 14 days of purchase.",
        questions: &[
            "do you price match",
            "I saw the {product} cheaper somewhere else",
        ],
        answer: "Yes. If you find the same {product} for less at a major retailer within 14 days of purchase, we'll refund the difference.",
    },
    Article {
        id: "kb-0311",
        title: "Promo codes",
        body: "Enter promo codes at checkout in the Discount field. Only one code can be used per order.",
        questions: &[
            "how do I use a promo code",
            "my discount code isn't working",
        ],
        answer: "Enter the code in the Discount field at checkout. Only one code can be used per order, and some codes exclude sale items.",
    },
    Article {
        id: "kb-0145",
        title: "Product warranties",
        body: "Most electronics carry a manufacturer warranty of one to two years. Extended protection plans are available at checkout.",
        questions: &[
            "is there a warranty on the {product}",
            "do you sell extended warranties",
        ],
        answer: "The {product} comes with a manufacturer warranty of at least one year, and you can add a protection plan at checkout.",
    },
    Article {
        id: "kb-0058",
        title: "Changing an order",
        body: "Orders can be changed within one hour of purchase from the Orders page.",
        questions: &[
            "can I change my order after placing it",
            "can I add an item to order {order}",
        ],
        answer: "You can change an order within one hour of placing it from the Orders page. After that it's already being packed.",
    },
    Article {
        id: "kb-0420",
        title: "International shipping",
        body: "We ship to over 40 countries. Duties and taxes are calculated at checkout.",
        questions: &["do you ship to {city}", "will I pay customs fees"],
        answer: "Yes, we ship to {city}. Duties and taxes are calculated at checkout, so there are no surprises on delivery.",
    },
    Article {
        id: "kb-0233",
        title: "Email preferences",
        body: "You can unsubscribe from marketing emails with the link at the bottom of any email, or under Account > Preferences.",
        questions: &[
            "how do I unsubscribe from emails",
            "stop sending me newsletters",
        ],
        answer: "Use the unsubscribe link at the bottom of any of our emails, or turn off marketing emails under Account > Preferences.",
    },
    Article {
        id: "kb-0089",
        title: "Refund timing",
        body: "Refunds are issued to the original payment method within 5 business days of receiving the return.",
        questions: &[
            "how long does a refund take",
            "when will I get my money back for the {product}",
        ],
        answer: "Refunds go back to your original payment method within 5 business days after we receive the return. Banks can take a few more days.",
    },
    Article {
        id: "kb-0512",
        title: "Assembly service",
        body: "Furniture assembly is available in selected cities for a flat fee of $49.",
        questions: &[
            "can someone assemble my {product}",
            "do you offer assembly in {city}",
        ],
        answer: "Assembly is available in {city} for a flat fee of $49. You can add it at checkout or up to 48 hours before delivery.",
    },
    Article {
        id: "kb-0377",
        title: "Student discount",
        body: "Students get 10% off with a verified student email address.",
        questions: &[
            "do you have a student discount",
            "is there a discount for teachers",
        ],
        answer: "Students get 10% off with a verified student email address. Teachers aren't covered yet, but watch for seasonal promotions.",
    },
    Article {
        id: "kb-0264",
        title: "Trade-in program",
        body: "Trade in eligible phones, tablets and laptops for store credit.",
        questions: &["can I trade in my old {product}", "how does trade-in work"],
        answer: "You can trade in eligible phones, tablets and laptops for store credit. Get a quote online, then drop the device at any store.",
    },
    Article {
        id: "kb-0618",
        title: "Lost packages",
        body: "If tracking shows delivered but you can't find the package, wait 24 hours and then contact us to open a claim.",
        questions: &[
            "my package says delivered but it's not here",
            "the {carrier} driver lost my parcel",
        ],
        answer: "Sometimes carriers mark a parcel delivered a little early. If it still isn't there after 24 hours, we'll open a claim and send a replacement.",
    },
];

pub(super) const PREFIXES: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "hi ",
    "hello, ",
    "hey ",
    "um ",
    "quick question: ",
    "Hi there. ",
    "good morning, ",
];
pub(super) const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "?",
    " please",
    " thanks",
    " thank you",
    "!!",
    " asap",
    "...",
];
pub(super) const WELCOME_TEXTS: &[&str] = &[
    "Hi, I'm the {company} assistant. What can I help you with today?",
    "Welcome to {company}! Ask me about orders, returns or anything else.",
    "Hello! I'm a virtual assistant. How can I help?",
    "Hi there 👋 How can I help you today?",
];
pub(super) const WELCOME_BACK: &str = "Welcome back! What can I do for you today?";
pub(super) const OPTION_TITLES: &[&str] = &[
    "Popular topics",
    "Here are some things I can help with",
    "Choose a topic",
];
pub(super) const FOLLOW_UP_TITLES: &[&str] = &[
    "Is there anything else I can help you with?",
    "Anything else?",
    "You might also want to:",
];
pub(super) const NO_MATCH_TEXTS: &[&str] = &[
    "I'm afraid I don't understand. Please rephrase your question.",
    "Sorry, I didn't get that. You can ask me about orders, returns, payments or store hours.",
    "I'm not sure I can help with that yet. Try asking in a different way.",
];
pub(super) const OFF_TOPIC: &[&str] = &[
    "what's the weather like",
    "tell me a joke",
    "asdfgh",
    "are you a robot",
    "blue",
    "do you like pizza",
    "lol",
    "can you sing",
    "who won the game last night",
    "ok",
    "hmm",
    "I need help",
];
pub(super) const AGENT_WEB: &[&str] = &[
    "I want to talk to a person",
    "agent",
    "human please",
    "speak to a representative",
    "this isn't helping, get me a real person",
    "can I chat with someone",
    "live agent",
];
pub(super) const AGENT_INTRO: &[&str] = &[
    "I'll connect you with a member of our support team.",
    "Let me get someone from our team to help.",
    "Sure, I'm transferring you to an agent now.",
];
pub(super) const AGENT_AVAILABLE: &[&str] = &[
    "An agent will be with you shortly.",
    "You're next in line. An agent will join in a moment.",
];
pub(super) const AGENT_UNAVAILABLE: &[&str] = &[
    "All agents are busy. Please try again between 9am and 5pm ET.",
    "Our team is offline right now. Leave your email and we'll get back to you.",
];
pub(super) const AGENT_TOPICS: &[&str] = &["Fallback", "Billing", "Orders", "Returns"];
pub(super) const LOOKUP_TEXTS: &[&str] = &[
    "Let me look up order {order}.",
    "One moment while I check that.",
    "Checking our systems…",
    "Give me a second to look that up.",
];
pub(super) const CALLOUT_FAIL: &[&str] = &[
    "Sorry, I can't reach our order system right now. Please try again in a few minutes.",
    "Something went wrong on our side. Please try again later.",
];
pub(super) const IDK_TEXT: &str = "I searched our help center but couldn't find an answer to that. Try rephrasing, or ask for an agent.";
pub(super) const DISCLAIMER: &str = "Answers are generated by AI and may contain errors.";
pub(super) const LLM_MODEL: &str = "ibm/granite-3-8b-instruct";
