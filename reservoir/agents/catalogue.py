"""Catalogue of well-known automation and business tools, and the matcher that finds them.

Alias syntax in ``TOOLS``: a plain alias matches case-insensitively; ``=Alias`` matches only
with that capitalisation; ``~Alias`` is a common English word ("Make", "Square", "Toast") and
matches only capitalised *and* in a tool context: a tool noun right after it ("Make scenario",
"Toast POS"), a list with another tool ("Slack, Notion and Make"), or, inside a sentence (not
at its start, not in a Title Case heading), a tool verb or preposition before it ("with Make",
"using Buffer") or a verb or data noun after it ("Make turns", "the Toast sales export").
Names that are also first names (Jane, Claude) accept only "in/into/via/using" before them.
No alias ever matches inside a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (canonical name, category, aliases separated by "|"; empty = the name, case-insensitive)
TOOLS: tuple[tuple[str, str, str], ...] = (
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

# Nouns that, right after a capitalised common word, make it a product name ("Toast POS").
_TOOL_NOUNS = (
    r"app|apps|software|platform|integrations?|account|scenarios?|POS|CRM|ATS|workspace"
    r"|database|databases|board|boards|API|plugin|modules?|dashboard|chatbot|bot|inbox|widget"
    r"|terminals?|readers?|subscription|webhooks?|scheduler|sequences?|Online|Payments|Capital"
    r"|Intacct|HR|AI|Pro|Plus|Marketing|Payroll|Recruit|Hire|folders?|calendar|rules|add-in"
)
_NOUN_AFTER = re.compile(rf"^(?:['’]s)?\s+(?:{_TOOL_NOUNS})\b|^\s*\((?:formerly|now|ex)\b")
_DATA_AFTER = re.compile(
    r"^(?:['’]s)?\s+(?:sales|exports?|data|orders?|invoices?|reports?|records?|flows?|automations?"
    r"|transactions|receipts|payouts|feeds?|lists?|pages?|forms?|tables?|bases?|docs?|templates?"
    r"|campaigns?|posts?|queues?|events?|tags?|fields?|properties)\b")
_VERB_AFTER = re.compile(r"^\s+(?:then\s+|also\s+|now\s+|automatically\s+)?[a-z]{3,}(?<!s)s\b(?!['’])")
_PERSON_LIKE = frozenset({"Jane", "Claude", "Gemini"})
_CUE_BEFORE = re.compile(
    r"(?:\b(?:with|via|using|use|uses|used|in|into|inside|on|from|to|through|connect(?:s|ed)?"
    r"|integrat\w+|switch(?:ed)? to|mov(?:ed|ing) to|migrat\w+ to|tried|adopted|called|"
    r"like|chose|picked|built|runs?|set up)\s+(?:a |an |the )?)$")
_LIST_GAP = re.compile(r"^\s*(?:,|and|or|&|\+|/|,\s*and|,\s*or)\s*$")
_SENTENCE_BREAK = re.compile(r"[.!?\n]\s*$")


@dataclass(frozen=True, slots=True)
class ToolInfo:
    name: str
    category: str


@dataclass(frozen=True, slots=True)
class RawToolMatch:
    """A catalogue hit in a string, before it is tied to a sentence."""

    name: str
    category: str
    alias: str
    start: int
    end: int


def _build() -> tuple[dict[str, ToolInfo], dict[str, ToolInfo], dict[str, ToolInfo]]:
    loose: dict[str, ToolInfo] = {}
    exact: dict[str, ToolInfo] = {}
    contextual: dict[str, ToolInfo] = {}
    for name, category, aliases in TOOLS:
        info = ToolInfo(name, category)
        for alias in (aliases or name).split("|"):
            if alias.startswith("~"):
                contextual[alias[1:]] = info
            elif alias.startswith("="):
                exact[alias[1:]] = info
            else:
                loose[alias.lower()] = info
    return loose, exact, contextual


_LOOSE, _EXACT, _CONTEXTUAL = _build()
CATALOGUE: dict[str, ToolInfo] = {name: ToolInfo(name, cat) for name, cat, _ in TOOLS}


def _alternation(aliases: list[str]) -> str:
    return "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))


# Not inside a word, not the first part of a domain or a dotted name ("Monday.com" vs "Monday").
_EDGE_L = r"(?<![\w.@/-])"
_EDGE_R = r"(?![\w]|\.\w|-\w)"
_LOOSE_RE = re.compile(rf"{_EDGE_L}(?:{_alternation(list(_LOOSE))}){_EDGE_R}", re.IGNORECASE)
_EXACT_RE = re.compile(rf"{_EDGE_L}(?:{_alternation(list(_EXACT) + list(_CONTEXTUAL))}){_EDGE_R}")


def _in_context(text: str, start: int, end: int) -> bool:
    """Whether a capitalised common word reads as a tool here (see the module docstring)."""
    after = text[end:end + 40].split("\n", 1)[0]
    if _NOUN_AFTER.search(after):
        return True
    before = text[max(0, start - 40):start]
    if not before.strip() or _SENTENCE_BREAK.search(before):
        return False  # at a sentence start only a tool noun after it will do
    if _looks_like_heading(text, start):
        return False
    if text[start:end] in _PERSON_LIKE:  # "in Jane", "via Claude"; never "with Jane"
        return bool(re.search(r"\b(?:in|into|inside|via|using)\s+$", before))
    if _CUE_BEFORE.search(before):
        return True
    # Mid-sentence and capitalised: a product if it acts or owns data ("and Make turns each
    # submission into", "the Toast sales export"), unless part of a longer proper name.
    previous = before.split()[-1:]
    if previous and previous[0][:1].isupper():
        head = before[:before.rstrip().rfind(previous[0])]
        if head.strip() and not _SENTENCE_BREAK.search(head):
            return False  # "Times Square", not "Then Podium sends"
    return bool(_DATA_AFTER.search(after) or _VERB_AFTER.search(after))


def _looks_like_heading(text: str, pos: int) -> bool:
    """Title Case lines capitalise every word, so a capital letter proves nothing there."""
    line_start = text.rfind("\n", max(0, pos - 200), pos) + 1 or max(0, pos - 200)
    line_end = text.find("\n", pos, pos + 200)
    words = re.findall(r"[A-Za-z]+", text[line_start:line_end if line_end >= 0 else pos + 200])
    long_words = [w for w in words if len(w) > 3]
    return len(long_words) >= 3 and all(w[0].isupper() for w in long_words)


def match_tools(text: str) -> list[RawToolMatch]:
    """Every catalogue hit in ``text``, in order, ambiguous names only where context allows."""
    found: list[RawToolMatch] = []
    for m in _LOOSE_RE.finditer(text):
        info = _LOOSE[m.group(0).lower()]
        found.append(RawToolMatch(info.name, info.category, m.group(0), m.start(), m.end()))
    pending: list[RawToolMatch] = []
    for m in _EXACT_RE.finditer(text):
        alias = m.group(0)
        if alias in _EXACT:
            info = _EXACT[alias]
            found.append(RawToolMatch(info.name, info.category, alias, m.start(), m.end()))
            continue
        info = _CONTEXTUAL[alias]
        hit = RawToolMatch(info.name, info.category, alias, m.start(), m.end())
        (found if _in_context(text, m.start(), m.end()) else pending).append(hit)
    _resolve_lists(text, found, pending)
    found.sort(key=lambda h: h.start)
    return _drop_overlaps(found)


def _resolve_lists(text: str, found: list[RawToolMatch], pending: list[RawToolMatch]) -> None:
    """Accept ambiguous names listed next to an accepted tool ("Slack, Notion and Make").

    Hits joined by list separators form chains; a chain with one accepted tool accepts all.
    """
    if not pending:
        return
    accepted = {id(h) for h in found}
    hits = sorted(found + pending, key=lambda h: h.start)
    chain: list[RawToolMatch] = []
    for hit in hits + [None]:  # type: ignore[list-item]
        linked = (hit is not None and chain and hit.start - chain[-1].end <= 8
                  and _LIST_GAP.match(text[chain[-1].end:hit.start]))
        if linked:
            chain.append(hit)  # type: ignore[arg-type]
            continue
        if any(id(h) in accepted for h in chain):
            found.extend(h for h in chain if id(h) not in accepted)
        chain = [hit] if hit is not None else []


def _drop_overlaps(hits: list[RawToolMatch]) -> list[RawToolMatch]:
    out: list[RawToolMatch] = []
    for hit in hits:
        if out and hit.start < out[-1].end:
            if hit.end - hit.start > out[-1].end - out[-1].start:
                out[-1] = hit
            continue
        out.append(hit)
    return out


def tool_category(name: str) -> str | None:
    info = CATALOGUE.get(name)
    return info.category if info else None
