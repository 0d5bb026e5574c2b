//! Web chat topics (actions skill): the actions, their utterances, replies, callouts and cards.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Card {
    None,
    Order,
    Refund,
    Product,
    Store,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum VarKind {
    None,
    Order,
    Refund,
    Store,
    Address,
    Product,
    Points,
    Password,
}

pub(super) struct Callout {
    pub(super) method: &'static str,
    pub(super) url: &'static str,
    pub(super) path: &'static str,
    /// JSON text template of the response body.
    pub(super) body: &'static str,
    pub(super) step: &'static str,
}

pub(super) struct Topic {
    pub(super) action: &'static str,
    pub(super) title: &'static str,
    pub(super) intent: &'static str,
    pub(super) steps: &'static [&'static str],
    pub(super) utterances: &'static [&'static str],
    pub(super) replies: &'static [&'static str],
    pub(super) extra: &'static [&'static str],
    pub(super) callout: Option<Callout>,
    /// (source, title, alt_text) templates
    pub(super) image: Option<(&'static str, &'static str, &'static str)>,
    pub(super) card: Card,
    pub(super) var: VarKind,
}

pub(super) const T_ORDER: usize = 0;
pub(super) const T_REFUND_POLICY: usize = 1;
pub(super) const T_REFUND: usize = 2;
pub(super) const T_HOURS: usize = 3;
pub(super) const T_PASSWORD: usize = 4;
pub(super) const T_ADDRESS: usize = 5;
pub(super) const T_CANCEL: usize = 6;
pub(super) const T_SHIPPING: usize = 7;
pub(super) const T_PAYMENT: usize = 8;
pub(super) const T_STOCK: usize = 9;
pub(super) const T_WARRANTY: usize = 10;
pub(super) const T_POINTS: usize = 11;
pub(super) const T_DELIVERY: usize = 12;
pub(super) const T_GIFT: usize = 13;

pub(super) const TOPIC_WEIGHTS: [u32; 14] = [22, 8, 8, 7, 7, 5, 6, 7, 6, 8, 4, 5, 4, 3];

pub(super) static TOPICS: [Topic; 14] = [
    Topic {
        action: "action_24031",
        title: "Check order status",
        intent: "action_24031_intent_11874",
        steps: &["step_742", "step_913"],
        utterances: &[
            "Where is my order {order}?",
            "where's my package",
            "has order {order} shipped yet",
            "I ordered a {product} on {shipped}, when will it arrive?",
            "track order {order}",
            "status of my {product} order",
            "my order {order} still hasn't arrived",
            "can you check order number {order}",
        ],
        replies: &[
            "Order {order} shipped on {shipped} with {carrier} and should arrive by {eta}.",
            "Your {product} (order {order}) is on its way with {carrier}. Expected delivery: {eta}.",
            "Order {order} is being packed at our {city} warehouse and should ship within 24 hours.",
            "I found order {order}. It left our {city} warehouse on {shipped} and is due {eta}.",
        ],
        extra: &[
            "You can follow the parcel any time under My Account > Orders.",
            "Tracking updates can take up to 24 hours to appear.",
            "If it hasn't arrived by {eta}, just let me know and I'll open a claim.",
        ],
        callout: Some(Callout {
            method: "GET",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}",
            body: "{\"order_id\":\"{order}\",\"status\":\"shipped\",\"carrier\":\"{carrier}\",\"eta\":\"{eta_iso}\"}",
            step: "step_742",
        }),
        image: Some((
            "https://cdn.example.com/img/tracking-{order}.png",
            "Tracking map",
            "Map showing the parcel near {city}",
        )),
        card: Card::Order,
        var: VarKind::Order,
    },
    Topic {
        action: "action_31077",
        title: "Refund policy",
        intent: "action_31077_intent_40122",
        steps: &["step_118"],
        utterances: &[
            "what is your refund policy",
            "can I return a {product}?",
            "how long do I have to return something",
            "do you refund shipping costs",
            "can I return an opened {product}",
            "return policy for sale items",
        ],
        replies: &[
            "You can return most items within {days} days of delivery for a full refund.",
            "Unused items like a {product} can be returned within {days} days in the original packaging.",
            "Returns are free for Plus members. Everyone else pays a flat $5.99 return shipping fee.",
            "Sale items can be returned within {days} days for store credit.",
        ],
        extra: &["Start a return from My Account > Orders and print the label at home."],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
    Topic {
        action: "action_31290",
        title: "Request a refund",
        intent: "action_31290_intent_40561",
        steps: &["step_204", "step_377", "step_512"],
        utterances: &[
            "I want a refund for order {order}",
            "refund my {product} please",
            "the {product} arrived broken, I want my money back",
            "how do I get a refund for order {order}",
            "I was charged twice for order {order}",
        ],
        replies: &[
            "I've started a refund of {amount} for order {order}. You'll see it on your statement in 5 to 7 business days.",
            "Your refund request for the {product} is in. We'll email a prepaid return label within the hour.",
            "Refund R{conf} for {amount} is pending. We'll let you know as soon as it's processed.",
        ],
        extra: &["Keep the item in its original packaging until the courier collects it."],
        callout: Some(Callout {
            method: "POST",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}/refunds",
            body: "{\"refund_id\":\"R{conf}\",\"amount\":{amount_num},\"currency\":\"USD\",\"status\":\"pending\"}",
            step: "step_377",
        }),
        image: None,
        card: Card::Refund,
        var: VarKind::Refund,
    },
    Topic {
        action: "action_18802",
        title: "Store hours",
        intent: "action_18802_intent_20417",
        steps: &["step_031"],
        utterances: &[
            "what time does the {city} store open",
            "are you open on {weekday}",
            "store hours in {city}",
            "when does your {city} location close today",
            "is the {city} store open on holidays",
        ],
        replies: &[
            "Our {city} store is open from 9am to 9pm Monday to Saturday and 10am to 6pm on Sunday.",
            "On {weekday} the {city} store is open from {time} to 8pm.",
            "The {city} store (store #{store}) closes at 9pm today.",
        ],
        extra: &["Holiday hours may differ; check the store page before you visit."],
        callout: None,
        image: Some((
            "https://cdn.example.com/img/stores/store-{store}.jpg",
            "Store front",
            "The entrance of our {city} store",
        )),
        card: Card::Store,
        var: VarKind::Store,
    },
    Topic {
        action: "action_40415",
        title: "Reset password",
        intent: "action_40415_intent_51230",
        steps: &["step_610", "step_611"],
        utterances: &[
            "I forgot my password",
            "can't log in to my account",
            "reset my password",
            "my account is locked",
            "it says my password is wrong",
        ],
        replies: &[
            "I've sent a password reset link to the email address on file. It expires in 30 minutes.",
            "Your account was locked after too many attempts. I've sent an unlock link to your email.",
            "You can reset your password from the sign-in page by choosing Forgot password.",
        ],
        extra: &["Didn't get the email? Check your spam folder first."],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::Password,
    },
    Topic {
        action: "action_27760",
        title: "Update address",
        intent: "action_27760_intent_30925",
        steps: &["step_880", "step_881"],
        utterances: &[
            "I moved to {city}, how do I change my address",
            "update my shipping address",
            "change the delivery address for order {order}",
            "new address: {house} {street}, {city}",
        ],
        replies: &[
            "Done! Your default shipping address is now {house} {street_title}, {city}.",
            "I've updated the address on order {order}. It will now ship to {city}.",
            "You can manage your addresses under My Account > Addresses. I've added {house} {street_title} for you.",
        ],
        extra: &[],
        callout: Some(Callout {
            method: "PUT",
            url: "https://accounts.example.com",
            path: "/v2/customers/{customer}/address",
            body: "{\"updated\":true,\"city\":\"{city}\"}",
            step: "step_881",
        }),
        image: None,
        card: Card::None,
        var: VarKind::Address,
    },
    Topic {
        action: "action_33514",
        title: "Cancel an order",
        intent: "action_33514_intent_38806",
        steps: &["step_150", "step_151"],
        utterances: &[
            "cancel order {order}",
            "I don't want the {product} anymore, please cancel it",
            "how do I cancel my order",
            "stop order {order} from shipping",
        ],
        replies: &[
            "Order {order} has been cancelled. Your refund of {amount} will go back to the original payment method.",
            "Sorry, order {order} has already shipped, so I can't cancel it. You can return it once it arrives.",
            "I've cancelled the {product} from order {order}.",
        ],
        extra: &[],
        callout: Some(Callout {
            method: "POST",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}/cancel",
            body: "{\"cancelled\":true,\"order_id\":\"{order}\"}",
            step: "step_151",
        }),
        image: None,
        card: Card::None,
        var: VarKind::Order,
    },
    Topic {
        action: "action_12006",
        title: "Shipping costs",
        intent: "action_12006_intent_14410",
        steps: &["step_402"],
        utterances: &[
            "how much is shipping to {city}",
            "do you offer free shipping",
            "how much is express delivery",
            "how long does shipping take to {city}",
            "do you ship internationally",
        ],
        replies: &[
            "Standard shipping to {city} is free on orders over $35 and takes 3 to 5 business days.",
            "Express delivery costs $12.99 and arrives in 1 to 2 business days.",
            "We ship to over 40 countries. International orders usually arrive within {days} days.",
        ],
        extra: &["Orders placed before 2pm ship the same day."],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
    Topic {
        action: "action_15590",
        title: "Payment methods",
        intent: "action_15590_intent_17733",
        steps: &["step_090"],
        utterances: &[
            "can I pay with paypal",
            "do you take apple pay",
            "my card was declined",
            "can I split the payment",
            "is klarna available",
            "why was my card charged {amount}",
        ],
        replies: &[
            "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and Google Pay.",
            "Card declines usually come from the bank. Please check the billing address matches, or try another card.",
            "You can pay in 4 interest-free installments with Klarna on orders over $50.",
            "The charge of {amount} is a temporary authorization. It disappears within 3 business days.",
        ],
        extra: &[],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
    Topic {
        action: "action_20981",
        title: "Product availability",
        intent: "action_20981_intent_26650",
        steps: &["step_301", "step_302"],
        utterances: &[
            "is the {product} in stock",
            "do you have the {color} {product} in {city}",
            "when will the {product} be back in stock",
            "can I pick up a {product} today in {city}",
        ],
        replies: &[
            "Yes! The {color} {product} is in stock at our {city} store ({stock} left).",
            "The {product} is out of stock online right now. We expect more by {eta}.",
            "You can reserve the {product} for pickup at our {city} store today after {time}.",
        ],
        extra: &["Reserved items are held for 48 hours."],
        callout: Some(Callout {
            method: "GET",
            url: "https://inventory.example.com",
            path: "/v1/stock/{sku}",
            body: "{\"sku\":\"{sku}\",\"in_stock\":{stock},\"store\":\"{city}\"}",
            step: "step_301",
        }),
        image: Some((
            "https://cdn.example.com/img/products/{sku}.jpg",
            "{product}",
            "Photo of the {color} {product}",
        )),
        card: Card::Product,
        var: VarKind::Product,
    },
    Topic {
        action: "action_36642",
        title: "Warranty claim",
        intent: "action_36642_intent_44018",
        steps: &["step_520", "step_521", "step_522"],
        utterances: &[
            "my {product} stopped working after {days} days",
            "how do I make a warranty claim",
            "is my {product} still under warranty",
            "the {product} is making a weird noise",
        ],
        replies: &[
            "Your {product} has a 2-year limited warranty. I've opened claim {conf} for you.",
            "Sorry to hear that. Please send a photo of the serial number and we'll arrange a replacement.",
            "The {product} is covered for 1 year from delivery. Claims are usually decided within 5 business days.",
        ],
        extra: &[],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::Product,
    },
    Topic {
        action: "action_29913",
        title: "Reward points",
        intent: "action_29913_intent_35120",
        steps: &["step_660"],
        utterances: &[
            "how many points do I have",
            "how do I use my reward points",
            "what tier am I in",
            "my points from order {order} are missing",
        ],
        replies: &[
            "You have {points} points, worth {amount} off your next order.",
            "You're a {tier} member with {points} points.",
            "Points from order {order} are added 14 days after delivery.",
        ],
        extra: &["Points expire 12 months after you earn them."],
        callout: Some(Callout {
            method: "GET",
            url: "https://loyalty.example.com",
            path: "/v1/members/{customer}/points",
            body: "{\"points\":{points},\"tier\":\"{tier}\"}",
            step: "step_660",
        }),
        image: None,
        card: Card::None,
        var: VarKind::Points,
    },
    Topic {
        action: "action_38120",
        title: "Change delivery date",
        intent: "action_38120_intent_47304",
        steps: &["step_701", "step_702"],
        utterances: &[
            "can I get order {order} delivered on {weekday}",
            "change delivery date",
            "I won't be home on {weekday}, can you deliver later",
            "reschedule my delivery",
        ],
        replies: &[
            "I've moved the delivery of order {order} to {eta}.",
            "{carrier} can deliver order {order} on {eta} between {time} and {time2}.",
            "Delivery dates can be changed up to 24 hours before dispatch. Order {order} is now due {eta}.",
        ],
        extra: &[],
        callout: Some(Callout {
            method: "PATCH",
            url: "https://orders.example.com",
            path: "/v1/orders/{order}/delivery",
            body: "{\"order_id\":\"{order}\",\"delivery_date\":\"{eta_iso}\"}",
            step: "step_702",
        }),
        image: None,
        card: Card::Order,
        var: VarKind::Order,
    },
    Topic {
        action: "action_41207",
        title: "Gift cards",
        intent: "action_41207_intent_52281",
        steps: &["step_015"],
        utterances: &[
            "check gift card balance",
            "can I use two gift cards",
            "what's the balance on card ending {card4}",
            "my gift card doesn't work",
        ],
        replies: &[
            "The gift card ending in {card4} has a balance of {amount}.",
            "You can use up to 5 gift cards on one order.",
            "Gift cards never expire. If yours isn't accepted, check that you entered all 16 digits.",
        ],
        extra: &[],
        callout: None,
        image: None,
        card: Card::None,
        var: VarKind::None,
    },
];

/// (user word, topic, topic) for disambiguation turns.
pub(super) const AMBIGUOUS: &[(&str, usize, usize)] = &[
    ("refund", T_REFUND_POLICY, T_REFUND),
    ("order", T_ORDER, T_CANCEL),
    ("delivery", T_SHIPPING, T_DELIVERY),
    ("account", T_PASSWORD, T_ADDRESS),
    ("points", T_POINTS, T_GIFT),
    ("return", T_REFUND_POLICY, T_WARRANTY),
    ("card", T_PAYMENT, T_GIFT),
    ("store", T_HOURS, T_STOCK),
];
