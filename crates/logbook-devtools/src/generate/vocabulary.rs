//! Word tables: names, cities, products, browsers, time zones and the like.

pub(super) const COMPANY: &str = "Example Co.";

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(super) const NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Lucas", "Mia", "Ethan", "Amelia",
    "James", "Harper", "Benjamin", "Chloé", "José", "Zoë", "Aiden", "Priya", "Wei", "Fatima",
    "Hiroshi", "Björn", "Ingrid", "Kwame", "Aisha", "Diego", "Lena", "Omar", "Sakura", "Niamh",
    "Rafael", "Elena", "Tomás", "Yusuf", "Grace", "Henry", "Isabella", "Jack", "Layla",
];

pub(super) const CITIES: &[&str] = &[
    "Springfield",
    "Riverside",
    "Portland",
    "Austin",
    "Denver",
    "Boston",
    "Seattle",
    "Chicago",
    "Atlanta",
    "Phoenix",
    "Nashville",
    "Madison",
    "Raleigh",
    "Tucson",
    "Omaha",
    "Boise",
    "Tampa",
    "Dayton",
    "Fresno",
    "Reno",
    "Toronto",
    "Montréal",
    "Vancouver",
    "Calgary",
    "São Paulo",
    "Zürich",
    "Dublin",
    "Manchester",
    "Leeds",
    "Glasgow",
];

pub(super) const PRODUCTS: &[&str] = &[
    "wireless headphones",
    "running shoes",
    "coffee maker",
    "standing desk",
    "4K monitor",
    "yoga mat",
    "air fryer",
    "backpack",
    "smart watch",
    "electric toothbrush",
    "winter jacket",
    "office chair",
    "bluetooth speaker",
    "blender",
    "phone case",
    "laptop stand",
    "desk lamp",
    "water bottle",
    "gaming mouse",
    "mechanical keyboard",
    "robot vacuum",
    "hiking boots",
    "rain jacket",
    "kettle",
    "toaster",
    "espresso machine",
    "dining table",
    "bookshelf",
    "mattress",
    "memory foam pillow",
    "bath towel set",
    "sunglasses",
    "leather wallet",
    "tablet",
    "e-reader",
    "hair dryer",
    "fitness tracker",
    "camping tent",
    "sleeping bag",
    "car seat",
];

pub(super) const COLORS: &[&str] = &[
    "black", "white", "navy", "red", "green", "gray", "silver", "blue", "beige", "pink",
];
pub(super) const CARRIERS: &[&str] = &["UPS", "FedEx", "USPS", "DHL", "OnTrac"];
pub(super) const TIMES: &[&str] = &[
    "8am", "9am", "10am", "11am", "noon", "1pm", "2pm", "3pm", "4pm", "5pm",
];
pub(super) const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub(super) const TIERS: &[&str] = &["bronze", "silver", "gold", "platinum"];
pub(super) const STREETS: &[&str] = &[
    "main street",
    "oak avenue",
    "maple drive",
    "elm road",
    "park lane",
    "lake shore drive",
    "cedar court",
    "pine street",
    "river road",
    "hill street",
];

/// (timezone, locale, browser language)
pub(super) const ZONES: &[(&str, &str, &str)] = &[
    ("America/New_York", "en-us", "en-US"),
    ("America/New_York", "en-us", "en-US"),
    ("America/Chicago", "en-us", "en-US"),
    ("America/Chicago", "en-us", "es-US"),
    ("America/Denver", "en-us", "en-US"),
    ("America/Los_Angeles", "en-us", "en-US"),
    ("America/Los_Angeles", "en-us", "en-US"),
    ("America/Phoenix", "en-us", "en-US"),
    ("America/Toronto", "en-ca", "en-CA"),
    ("America/Toronto", "en-ca", "fr-CA"),
    ("Europe/London", "en-gb", "en-GB"),
    ("Europe/Zurich", "en-gb", "de-CH"),
    ("America/Sao_Paulo", "en-us", "pt-BR"),
];

/// (browser_name, browser_version, browser_OS, user_agent, screen_resolution)
pub(super) const BROWSERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "chrome",
        "134.0.0",
        "Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
        "width: 1920, height: 1080",
    ),
    (
        "chrome",
        "133.0.0",
        "Mac OS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36",
        "width: 1440, height: 900",
    ),
    (
        "firefox",
        "134.0.0",
        "Linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:134.0) Gecko/20100101 Firefox/134.0",
        "width: 1920, height: 1080",
    ),
    (
        "firefox",
        "135.0.0",
        "Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0",
        "width: 1366, height: 768",
    ),
    (
        "safari",
        "18.3.0",
        "Mac OS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15",
        "width: 1512, height: 982",
    ),
    (
        "ios",
        "18.3.0",
        "iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1",
        "width: 390, height: 844",
    ),
    (
        "chrome",
        "134.0.0",
        "Android OS",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36",
        "width: 412, height: 915",
    ),
    (
        "edge-chromium",
        "134.0.0",
        "Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0",
        "width: 2560, height: 1440",
    ),
    (
        "samsung",
        "27.0.0",
        "Android OS",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        "width: 384, height: 832",
    ),
];
pub(super) const BROWSER_WEIGHTS: [u32; 9] = [28, 8, 5, 5, 10, 20, 14, 7, 3];

pub(super) const PAGES: &[&str] = &[
    "https://shop.example.com/help",
    "https://shop.example.com/",
    "https://shop.example.com/orders",
    "https://shop.example.com/account",
    "https://shop.example.com/returns",
    "https://shop.example.com/checkout",
    "https://shop.example.com/stores",
    "https://shop.example.com/deals/spring-sale",
];
pub(super) const IP_PREFIXES: &[&str] = &["198.51.100.", "203.0.113.", "192.0.2."];

pub(super) const ASSISTANT_NUMBERS: &[&str] = &["+18005550123", "+18445550177"];
pub(super) const AREA_CODES: &[&str] = &[
    "212", "312", "415", "512", "617", "702", "720", "808", "206", "404", "503", "602", "615",
    "713", "818", "919", "305", "414", "651", "888",
];
pub(super) const CAMPAIGNS: &[&str] = &[
    "spring-billing",
    "outage-notice",
    "winter-promo",
    "renewal-2026",
];
pub(super) const TRANSFER_URIS: &[&str] = &[
    "sip:+18005550199@sbc.example.com",
    "sip:+18005550142@sbc.example.com",
    "sip:billing-queue@pbx.example.com",
];
