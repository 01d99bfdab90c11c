"""The hand-kept part of the tool catalogue: what the registry catalogues lack.

The registry catalogues (simple-icons, @iconify-json/logos, devicon; see
``data/PROVENANCE.md``) give ~5,000 product names but no business categories, and they miss
most vertical SaaS (practice management, field service, property management) and several
big brands' usual spellings. This table adds, per tool: its category, the spellings and
aliases people write, and how ambiguous each alias is. ``catalogue_build`` merges it over the
registry data (hand entries win on a clash); nothing here is read at run time.

Alias syntax: a plain alias matches case-insensitively; ``=Alias`` only with that
capitalisation; ``~Alias`` is a common English word that needs a tool context (see
``catalogue``). An empty alias string means the name itself, case-insensitively.
"""

from __future__ import annotations

# (canonical name, category, aliases separated by "|"; empty = the name, case-insensitive)
HAND_TOOLS: tuple[tuple[str, str, str], ...] = (
    # workflow / integration platforms
    ("Zapier", "workflow", ""), ("Make", "workflow", "Make.com|Integromat|~Make"),
    ("n8n", "workflow", ""), ("Power Automate", "workflow", "Power Automate|Microsoft Flow"),
    ("IFTTT", "workflow", ""), ("Pabbly Connect", "workflow", "Pabbly Connect|Pabbly"),
    ("Workato", "workflow", ""), ("Tray.io", "workflow", ""), ("Pipedream", "workflow", ""),
    ("Activepieces", "workflow", ""),
    # CRM
    ("HubSpot", "crm", ""), ("Salesforce", "crm", ""), ("Pipedrive", "crm", ""),
    ("Zoho CRM", "crm", "Zoho CRM|=Zoho"), ("Follow Up Boss", "crm", "Follow Up Boss|FollowUpBoss"),
    ("kvCORE", "crm", ""), ("GoHighLevel", "crm", "GoHighLevel|HighLevel|Go High Level|=GHL"),
    ("Keap", "crm", "Keap|Infusionsoft"), ("Copper", "crm", "Copper CRM|~Copper"),
    ("Attio", "crm", ""), ("HoneyBook", "crm", ""), ("Dubsado", "crm", ""),
    ("Wealthbox", "crm", ""), ("Redtail", "crm", "Redtail CRM|=Redtail"),
    # scheduling and reservations
    ("Calendly", "scheduling", ""), ("Acuity Scheduling", "scheduling", "Acuity Scheduling|=Acuity"),
    ("Cal.com", "scheduling", ""), ("Google Calendar", "scheduling", "Google Calendar|=GCal"),
    ("Microsoft Bookings", "scheduling", ""), ("SavvyCal", "scheduling", ""),
    ("Setmore", "scheduling", ""), ("Mindbody", "scheduling", ""), ("NexHealth", "scheduling", ""),
    ("Zocdoc", "scheduling", ""), ("OpenTable", "scheduling", ""), ("Resy", "scheduling", "=Resy"),
    # email marketing
    ("Mailchimp", "email_marketing", ""), ("Klaviyo", "email_marketing", ""),
    ("ActiveCampaign", "email_marketing", "ActiveCampaign|Active Campaign"),
    ("ConvertKit", "email_marketing", ""), ("Customer.io", "email_marketing", ""),
    ("Brevo", "email_marketing", "Brevo|Sendinblue"),
    ("Constant Contact", "email_marketing", ""), ("beehiiv", "email_marketing", ""),
    # accounting, expenses, payments
    ("QuickBooks", "accounting", "QuickBooks Online|QuickBooks|=QBO"), ("Xero", "accounting", ""),
    ("Dext", "accounting", "Dext|Receipt Bank"), ("FreshBooks", "accounting", ""),
    ("Zoho Books", "accounting", ""), ("NetSuite", "accounting", ""), ("Hubdoc", "accounting", ""),
    ("Sage", "accounting", "Sage Intacct|Sage 50|~Sage"), ("Wave", "accounting", "~Wave"),
    ("Bill.com", "accounting", "Bill.com|BILL.com"), ("Expensify", "accounting", ""),
    ("Ramp", "accounting", "~Ramp"), ("Stripe", "payments", "=Stripe"),
    ("PayPal", "payments", ""), ("GoCardless", "payments", ""),
    ("SumUp", "pos", ""), ("Square", "pos", "~Square"), ("Toast", "pos", "~Toast"),
    ("Clover", "pos", "~Clover"),
    ("Lightspeed", "pos", "~Lightspeed"),
    # e-signature, forms, documents
    ("DocuSign", "esign", ""), ("PandaDoc", "esign", ""),
    ("Adobe Acrobat Sign", "esign", "Adobe Acrobat Sign|Adobe Sign|Acrobat Sign"),
    ("Dropbox Sign", "esign", "Dropbox Sign|HelloSign"), ("SignNow", "esign", ""),
    ("Jotform", "forms", ""), ("Typeform", "forms", ""), ("Google Forms", "forms", ""),
    ("Microsoft Forms", "forms", ""), ("Formstack", "forms", ""), ("Gravity Forms", "forms", ""),
    ("Tally", "forms", "Tally.so|~Tally"),
    ("Docparser", "document_ai", ""), ("Nanonets", "document_ai", ""), ("Rossum", "document_ai", ""),
    ("Parseur", "document_ai", ""), ("Mindee", "document_ai", ""),
    ("Amazon Textract", "document_ai", "Amazon Textract|AWS Textract|Textract"),
    ("Google Document AI", "document_ai", "Google Document AI|Document AI"),
    ("Notion", "docs", "~Notion"), ("Google Docs", "docs", ""), ("Google Drive", "docs", ""),
    ("Dropbox", "docs", "=Dropbox"), ("Confluence", "docs", "=Confluence"), ("Coda", "docs", "~Coda"),
    ("Loom", "docs", "=Loom"),
    # spreadsheets and databases
    ("Segment", "data", "Twilio Segment|Segment.com|~Segment"),
    ("PageSpeed Insights API", "data", "PageSpeed Insights API|PageSpeed Insights|PageSpeed API"),
    ("Airtable", "spreadsheet", ""), ("Google Sheets", "spreadsheet", "Google Sheets|Google Sheet"),
    ("Microsoft Excel", "spreadsheet", "Microsoft Excel|=Excel"), ("Smartsheet", "spreadsheet", ""),
    # messaging, email, phone
    ("Slack", "messaging", "=Slack"), ("Microsoft Teams", "messaging", "Microsoft Teams|MS Teams"),
    ("Twilio", "messaging", ""), ("WhatsApp", "messaging", "WhatsApp Business|WhatsApp"),
    ("Gmail", "email", ""), ("Outlook", "email", "Microsoft Outlook|~Outlook"),
    ("Zoom", "messaging", "=Zoom"), ("Aircall", "messaging", ""), ("RingCentral", "messaging", ""),
    ("SimpleTexting", "messaging", ""), ("Podium", "messaging", "~Podium"),
    ("Weave", "messaging", "~Weave"), ("Solutionreach", "messaging", ""),
    # helpdesk and chat
    ("Intercom", "helpdesk", "=Intercom"), ("Zendesk", "helpdesk", ""),
    ("Freshdesk", "helpdesk", ""), ("Gorgias", "helpdesk", ""),
    ("Help Scout", "helpdesk", "Help Scout|HelpScout"), ("Tidio", "chatbot", ""),
    ("Drift", "chatbot", "~Drift"), ("ManyChat", "chatbot", ""), ("Voiceflow", "chatbot", ""),
    ("Botpress", "chatbot", ""),
    # e-commerce and shipping
    ("Shopify", "ecommerce", ""), ("WooCommerce", "ecommerce", ""),
    ("BigCommerce", "ecommerce", ""), ("Etsy", "ecommerce", "=Etsy"),
    ("ShipStation", "logistics", ""), ("Shippo", "logistics", ""), ("Onfleet", "logistics", ""),
    ("Samsara", "logistics", "=Samsara"),
    # AI and RPA
    ("ChatGPT", "ai", "ChatGPT|Chat GPT"),
    ("OpenAI API", "ai", "OpenAI API|=OpenAI|GPT-4o|GPT-4|GPT-3.5|GPT-4.1|GPT-5"),
    ("Claude", "ai", "Anthropic|~Claude"), ("Gemini", "ai", "Google Gemini|~Gemini"),
    ("Microsoft Copilot", "ai", "Microsoft Copilot|=Copilot"), ("Otter.ai", "ai", "Otter.ai|=Otter"),
    ("Fireflies.ai", "ai", "Fireflies.ai|=Fireflies"),
    ("UiPath", "rpa", ""), ("Automation Anywhere", "rpa", "=Automation Anywhere"),
    ("Blue Prism", "rpa", "=Blue Prism"),
    # project management
    ("Asana", "project_management", "=Asana"), ("Trello", "project_management", ""),
    ("Monday.com", "project_management", "Monday.com"), ("ClickUp", "project_management", ""),
    ("Jira", "project_management", "=Jira"), ("Basecamp", "project_management", "=Basecamp"),
    # reporting / BI
    ("Looker Studio", "reporting", "Looker Studio|Google Data Studio|Data Studio"),
    ("Power BI", "reporting", "Power BI|PowerBI"), ("Tableau", "reporting", ""),
    ("Metabase", "reporting", ""), ("Databox", "reporting", ""),
    ("AgencyAnalytics", "reporting", "AgencyAnalytics|Agency Analytics"),
    ("Whatagraph", "reporting", ""),
    # vertical practice management
    ("Clio", "practice_management", "=Clio"), ("Lawmatics", "practice_management", ""),
    ("MyCase", "practice_management", ""), ("PracticePanther", "practice_management", ""),
    ("Smokeball", "practice_management", ""), ("SimplePractice", "practice_management", ""),
    ("Dentrix", "practice_management", ""), ("Open Dental", "practice_management", ""),
    ("Jane App", "practice_management", "Jane App|~Jane"), ("Applied Epic", "practice_management", ""),
    ("HawkSoft", "practice_management", ""), ("EZLynx", "practice_management", ""),
    ("Karbon", "practice_management", "=Karbon"), ("TaxDome", "practice_management", ""),
    ("ServiceTitan", "field_service", ""), ("Jobber", "field_service", "=Jobber"),
    ("Housecall Pro", "field_service", ""), ("Procore", "field_service", ""),
    ("Buildertrend", "field_service", ""), ("AppFolio", "property_management", ""),
    ("Buildium", "property_management", ""), ("Yardi", "property_management", ""),
    ("Guesty", "property_management", ""), ("Hostaway", "property_management", ""),
    ("Cloudbeds", "property_management", ""),
    ("Hospitable", "property_management", "Hospitable.com|~Hospitable"), ("Turno", "field_service", "=Turno"),
    # recruiting and HR
    ("Greenhouse", "ats", "~Greenhouse"), ("Lever", "ats", "~Lever"),
    ("Workable", "ats", "~Workable"), ("Bullhorn", "ats", "=Bullhorn"),
    ("BambooHR", "hr", ""), ("Gusto", "hr", "~Gusto"), ("Rippling", "hr", "=Rippling"),
    # social, design, websites
    # social networks: channels more often than tools of an automation (see WEAK_CATEGORIES)
    ("LinkedIn", "social_network", "=LinkedIn"), ("Facebook", "social_network", "=Facebook"),
    ("Instagram", "social_network", ""), ("YouTube", "social_network", "=YouTube"),
    ("TikTok", "social_network", "=TikTok"), ("Discord", "messaging", "~Discord"),
    ("X", "social_network", "=Twitter|X (Twitter)"),  # "Twitter" is a common word too
    ("Telegram", "messaging", "=Telegram"), ("GitHub", "developer", ""),
    ("Hootsuite", "social_media", ""), ("Buffer", "social_media", "~Buffer"),
    ("Sprout Social", "social_media", ""), ("Later", "social_media", "Later.com"),
    ("Meta Business Suite", "social_media", ""), ("Canva", "design", ""),
    ("Webflow", "website", ""), ("WordPress", "website", ""), ("Wix", "website", "=Wix"),
    ("Squarespace", "website", ""),
    # prospecting and outreach
    ("Apollo.io", "sales_engagement", "Apollo.io|~Apollo"),
    ("Clay", "sales_engagement", "Clay.com|~Clay"),
    ("Instantly", "sales_engagement", "Instantly.ai|~Instantly"),
    ("Lemlist", "sales_engagement", ""), ("Smartlead", "sales_engagement", ""),
    ("ZoomInfo", "sales_engagement", ""), ("Clearbit", "sales_engagement", ""),
    ("Hunter.io", "sales_engagement", ""),
    ("PhantomBuster", "sales_engagement", ""),
    ("LinkedIn Sales Navigator", "sales_engagement", "LinkedIn Sales Navigator|Sales Navigator"),
    # reviews
    ("Birdeye", "reviews", ""), ("NiceJob", "reviews", ""), ("Trustpilot", "reviews", ""),
    ("Google Business Profile", "reviews", "Google Business Profile|Google My Business"),
)


# Parent-company names: "Google" or "Microsoft" alone names no tool (their products are listed
# by their own names, "Google Sheets", "Microsoft Teams"), so the bare names are left out.
UMBRELLA_BRANDS: frozenset[str] = frozenset({
    "Google", "Microsoft", "Apple", "Amazon", "Meta", "Alphabet",
})

# Categories named in the table but not counted as business tools on their own: a post "on
# Facebook" is a channel, not a tool of the automation (see ``catalogue.is_vetted``).
WEAK_CATEGORIES: frozenset[str] = frozenset({"social_network", "developer", "other"})

# Day and month names: proper nouns in every text, never a product on their own ("every
# Monday" is not monday.com, which keeps its "Monday.com" alias).
CALENDAR_WORDS: frozenset[str] = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december".split())

# Generic technology words, never a product name even when capitalised in a tool context
# ("the REST API", "a Webhook integration"); the unknown-product finder skips them.
GENERIC_TECH: frozenset[str] = frozenset({
    "api", "apis", "rest", "http", "https", "json", "csv", "xml", "pdf", "sms", "mms", "crm",
    "erp", "ats", "pos", "ai", "llm", "url", "sql", "sdk", "ui", "ux", "oauth", "webhook",
    "webhooks", "smtp", "imap", "ftp", "sftp", "graphql", "saas", "gpt", "ocr", "rpa", "iot",
    "ical", "vcard", "rss", "html", "css", "javascript", "python", "no-code", "low-code",
    # web words newer than the SCOWL lists, and icon names that are only such words
    "homepage", "website", "blog", "login", "signup", "inbox", "app", "apps", "wiki", "podcast",
    "webinar", "ebook", "hashtag", "online", "checkout", "stdlib", "pkg", "dev", "org", "copyleft",
})
