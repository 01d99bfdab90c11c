"""Keyword taxonomy of the extractive strategy: automation types, industries, signal terms.

Every table is (regex, weight) pairs, matched case-insensitively on word boundaries. Weights:
2–3 for phrases that almost decide the label on their own, 1–1.5 for typical words, 0.5 for
words that only lean. Each pattern counts at most ``cap`` times per text, so one repeated word
cannot outvote the rest.

Over 400 lines: it is data (the tables) with the few functions that read them, kept together
so a table and its weights are reviewed in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

try:  # the stdlib's own regex parser, used only to bucket patterns by their first letter
    import re._constants as sre
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - a future Python; matching stays correct, only slower
    sre = sre_parse = None  # type: ignore[assignment]

AUTOMATION_TYPES = (
    "lead_generation", "client_communication", "document_automation", "scheduling",
    "follow_up", "reporting", "marketing", "workflow_optimization", "other",
)
INDUSTRIES = (
    "real_estate", "insurance", "accounting", "healthcare", "ecommerce", "agency", "restaurant",
    "legal", "logistics", "recruiting", "saas", "construction", "retail", "education",
    "hospitality", "finance", "other",
)
Weighted = tuple[str, float]
# Who a small business talks to; used inside several patterns.
_WHO = (r"(?:clients?|customers?|patients?|tenants?|guests?|members?|buyers?|owners?|candidates?"
        r"|parents?|students?|homeowners?|diners?|callers?|prospects?|leads?)")

TYPE_KEYWORDS: dict[str, tuple[Weighted, ...]] = {
    "scheduling": (
        (r"appointments?", 2), (r"bookings?|booked|book(?:s|ing)? (?:a|an|their|online)", 1.5),
        (r"calendars?", 1), (r"reminders?", 1.25), (r"no[- ]shows?", 2.5),
        (r"(?:appointment|visit|booking|session|class|interview) reminders?", 2.5),
        (r"reschedul\w*", 2), (r"scheduling", 2), (r"schedules?|scheduled", 0.75),
        (r"availability", 1), (r"(?:time )?slots?", 1), (r"confirmations?", 1),
        (r"cancellations?", 1), (r"wait ?lists?", 1.5), (r"reservations?", 1.5),
        (r"self-book\w*|online booking", 2.5), (r"consultations?", 0.75),
        (r"phone tag|back-and-forth", 1.5),
    ),
    "follow_up": (
        (r"follow[- ]?ups?|following up|follows? up|followed up", 3), (r"nurtur\w*", 2),
        (r"(?:is|are|falls?|fall) due(?: for)?", 1.5),
        (r"drip(?: campaigns?| sequences?| emails?)?", 2), (r"chas(?:e|es|ed|ing)", 2),
        (r"overdue|past[- ]due", 2), (r"unpaid invoices?|outstanding invoices?", 2.5),
        (r"(?:payment|invoice|renewal|replenishment|reorder) reminders?", 2.5),
        (r"re-?engage\w*", 1.5), (r"replenish\w*|re-?order\w*|repeat purchases?", 2),
        (r"(?:no|never) (?:reply|response)|(?:didn't|don't|hasn't|haven't) (?:replied|responded)"
         r"|gone quiet|went cold|ghost\w*", 1.5),
        (r"dunning", 2.5), (r"check-?in (?:emails?|messages?|texts?)", 1.5),
        (r"(?:email|text|sms) sequences?|sequences?", 1),
        (r"unanswered quotes?", 1.5),
        (r"win-?back|lapsed|recall(?:s| visits?| lists?| texts?)?", 2),
        (r"(?:has|have|had)(?: not|n't) (?:checked in|booked|visited|ordered|replied|responded"
         r"|answered"
         r"|come back|been seen|been in)", 2),
        (r"(?:the )?(?:day|week|days) after (?:a|the|their|each|every) (?:visit|appointment|job"
         r"|purchase|order|delivery)", 2),
        (r"post-(?:visit|purchase|appointment|sale)", 2),
        (r"thank[- ]you (?:emails?|texts?|messages?|notes?)|check-?ins?", 1.5),
        (r"renewals?", 1),
    ),
    "lead_generation": (
        (r"(?:new|inbound|qualified|incoming|sales|more|warm|cold|web|hot|raw) leads?", 2),
        (r"leads?(?!\s+(?:to|the|a|an|our|with)\b)", 1.25), (r"prospect(?:s|ing|ed)?", 2),
        (r"enrich(?:ment|es|ed|ing)?", 2), (r"outbound", 2), (r"lead (?:capture|magnets?)", 2.5),
        (r"qualif(?:y|ies|ied|ying|ication)", 1.5), (r"cold (?:emails?|outreach|calls?)", 2),
        (r"scrap(?:e|es|ed|ing)", 1.5), (r"list[- ]building", 2), (r"lead scoring", 2.5),
        (r"outreach", 1.5), (r"sales pipeline", 1), (r"ICP|ideal customer profile", 1.5),
        (r"decision[- ]makers?", 1.5), (r"contact (?:forms?|details|lists?)", 1),
        (r"intent (?:data|signals?)", 2), (r"(?:book|booked) (?:more )?(?:meetings|demos)", 1),
        (r"(?:becomes?|creates?|as|into) an? (?:new )?(?:deal|lead|contact|opportunity)", 2),
        (r"deals?(?! with)", 0.75),
    ),
    "client_communication": (
        (r"inbox(?:es)?", 1.5), (r"repl(?:y|ies|ied|ying)", 1), (r"chat ?bots?", 2),
        (r"(?:status|progress) (?:texts?|emails?|messages?|notifications?)", 2),
        (r"support tickets?|tickets?", 1.5), (r"client portals?|customer portals?", 2.5),
        (r"status updates?", 2), (r"FAQs?|frequently asked questions", 2),
        (r"customer (?:support|service)", 1.5), (r"live chat", 2),
        (r"answer(?:s|ed|ing)? (?:common |routine |customer |client |patient )?questions", 2),
        (r"(?:automatic|instant|immediate|personal|drafted) (?:emails?|texts?|repl(?:y|ies)|responses?"
         r"|messages?|acknowledg\w+)", 2),
        (rf"(?:emails?|texts?|messages?|notif(?:y|ies)|updates?|informs?) (?:each |every |all |the |our )?"
         rf"{_WHO}", 1.5),
        (r"(?:respond|answer|reply)(?:s|ed)? (?:within|in under|immediately|instantly)", 1.5),
        (r"respon(?:d|ds|ded|se|ses) (?:to|times?)", 1), (r"after[- ]hours", 1.5),
        (r"auto-?(?:reply|replies|responders?)", 2),
        (r"where is my order|WISMO|order status", 2), (r"enquir\w*|inquir\w*", 1),
        (r"voicemails?|missed calls?|phone calls?", 1.5), (r"receptionists?|front desk", 1),
        (rf"(?:keep|kept|keeps|keeping) {_WHO} (?:updated|informed|in the loop)", 2.5),
        # "message" alone only leans: in developer text a message is data passed between steps.
        (r"messages?|messaging", 0.25), (r"conversations?", 0.5),
    ),
    "document_automation": (
        (r"invoice (?:processing|capture|data)|accounts payable", 2.5), (r"invoices?", 1),
        (r"OCR|optical character recognition", 2.5), (r"contracts?", 1.5),
        (r"e-?signatures?|e-sign(?:ed|ing)?|electronic signatures?|signatures?", 2),
        (r"signed|signs", 0.75), (r"data entry", 2),
        (r"extract(?:s|ed|ing|ion)?", 1.5), (r"(?:intake|web|online|paper) forms?", 1.5),
        (r"forms?", 0.75), (r"paperwork", 2), (r"PDFs?", 1.5), (r"receipts?", 1.5),
        (r"documents?", 0.5), (r"proposals?", 1), (r"bank statements?", 1.5),
        (r"pars(?:e|es|ed|ing)|parser", 0.5), (r"bills", 1), (r"purchase orders?", 1),
        (r"claims? (?:processing|forms?|intake)|(?:first notice of loss|FNOL)", 2),
        (r"engagement letters?", 2), (r"templates?", 0.5), (r"pre-?fill\w*|fill(?:s|ed)? in", 1),
        (r"(?:generat|draft)\w* (?:the )?(?:contracts?|documents?|letters?|quotes?)", 2),
        (r"scann?(?:ed|ing)?", 1),
        # data formats and conversion between them (LABELLING.md: files and formats)
        (r"CSV|file formats?|(?:between|into) (?:the |a |an )?(?:\w+ )?formats?\b"
         r"|to (?:a|another|the other) formats?\b"
         r"|convert(?:s|ed|ing)? (?:\w+ ){0,4}(?:between|into|to) (?:a |an )?"
         r"(?:formats?|strings?|PDF|CSV|JSON|XML|YAML|text)", 1.5),
    ),
    "reporting": (
        (r"dashboards?", 2), (r"weekly reports?|monthly reports?|client reports?", 2.5),
        (r"(?:pdf|automated|daily|progress|sales|performance|summary|status|end-of-day)"
         r" reports?", 2.5),
        (r"report(?:s|ing)?", 1.5), (r"KPIs?", 2), (r"reconciliation(?: reports?)?", 1.5),
        (r"metrics", 1), (r"analytics", 1), (r"month-end|end-of-month", 1),
        (r"(?:pull|pulls|pulled|pulling) (?:the )?(?:numbers|data|figures|stats)", 1.5),
        (r"(?:weekly|daily|monthly) (?:summary|summaries|digest)", 2), (r"scorecards?", 1.5),
        (r"P&L|profit and loss", 1.5), (r"forecast(?:s|ing)?", 1), (r"charts?", 0.75),
    ),
    "marketing": (
        (r"social media(?: posts?)?", 2), (r"(?:social|instagram|facebook|linkedin) posts?", 2),
        (r"campaigns?", 1.5), (r"newsletters?", 2), (r"content", 1), (r"ads|advertising", 1.5),
        (r"(?:google|online|customer|5-star|five-star) reviews?|review requests?", 2.5),
        (r"reviews", 0.75), (r"email marketing", 2.5), (r"SEO", 1.5),
        (r"blog posts?|articles", 1), (r"promotions?|promos?", 1), (r"audiences?", 1),
        (r"subscribers?", 1), (r"segment(?:s|ed|ation)?", 1),
        (r"abandoned carts?|(?:browse|cart) abandonment", 2),
        (r"referrals?", 1), (r"testimonials?", 1), (r"captions?", 1.5),
        (r"instagram|facebook|tiktok", 1), (r"brand(?:ing)?", 0.5),
    ),
    "workflow_optimization": (
        (r"onboard(?:ing)?", 2), (r"hand-?offs?|handovers?", 2), (r"approv(?:al|als|e|ed)", 2),
        (r"(?:task|lead|ticket) routing|rout(?:e|es|ed|ing) (?:it |them )?to|routed|routing", 1.5),
        (r"triag\w*|classif(?:y|ies|ied|ication)", 1.5), (r"(?:two|three|3|2)-way match\w*", 2.5),
        (r"exceptions?", 1), (r"(?:maintenance|service|repair) requests?|technicians?|crews?", 1.5),
        (r"(?:job|task|work) (?:board|queue)s?|(?:driver|job|load|order) status(?:es)?", 1.5),
        (r"inventory(?: sync)?", 1.5), (r"order processing", 2), (r"orders?", 0.5),
        (r"fulfil?l?ment", 1.5), (r"tasks?", 0.75), (r"assign(?:s|ed|ing)?", 1),
        (r"(?:new|every|each|incoming|online) orders?|shipments?", 1.5),
        (r"(?:production|packing|pick|delivery) (?:plans?|lists?|schedules?)", 1.5),
        (r"kick-?offs?|project (?:folders?|pages?|boards?|channels?|setup)", 1.5),
        (r"project management", 1), (r"internal process(?:es)?", 1), (r"dispatch\w*", 1.5),
        (r"checklists?", 1.5), (r"offboarding", 2), (r"payroll", 1), (r"timesheets?", 1.5),
        (r"expense(?:s| reports?)?", 1), (r"shipping labels?", 1.5), (r"work orders?", 1.5),
        (r"(?:manual )?copy(?:ing)?[- ]paste|copy(?:ing)? (?:data|everything) between", 1.5),
        # data passed between systems, in the words developers use (LABELLING.md: plumbing)
        (r"webhooks?|payloads?|endpoints?|(?:HTTP|GET|POST|API) (?:requests?|calls?|responses?)"
         r"|message (?:brokers?|queues?)|brokers?", 1.5),
    ),
}

INDUSTRY_KEYWORDS: dict[str, tuple[Weighted, ...]] = {
    "real_estate": (
        (r"real estate|realtors?|brokerages?", 2.5), (r"open houses?|MLS", 2), (r"listings?", 1.5),
        (r"home ?buyers?|home ?sellers?|buyers and sellers", 2), (r"propert(?:y|ies)", 1.5),
        (r"landlords?|tenants?|property manage\w*", 2), (r"showings|(?:property|home) showing", 1.5),
    ),
    "insurance": (
        (r"insurance|insurers?|underwrit\w*", 2.5), (r"policyholders?|polic(?:y|ies)", 1.5),
        (r"claims?", 1), (r"premiums?|renewals?", 1.5), (r"carriers?", 0.75),
    ),
    "accounting": (
        (r"accounting firms?|accountants?|bookkeep\w*|CPAs?", 2.5), (r"accounting", 1.5),
        (r"tax (?:returns?|season|prep\w*)", 2), (r"audits?", 1), (r"reconcil\w*", 1),
        (r"accounts (?:payable|receivable)", 1.5), (r"month-end close", 1.5),
    ),
    "healthcare": (
        (r"clinics?|patients?|dental|dentists?|orthodont\w*", 2.5), (r"physicians?|doctors?", 2),
        (r"therap(?:y|ist|ists)|chiropract\w*|physio\w*|medical|healthcare|HIPAA", 2),
        (r"hygienists?|veterinar\w*|vets?", 2), (r"practices?", 0.5),
    ),
    "ecommerce": (
        (r"e-?commerce|online stores?|online shops?|DTC|D2C|direct-to-consumer", 2.5),
        (r"abandoned carts?", 2), (r"checkout|SKUs?|product pages?", 1.5), (r"orders?", 0.75),
        (r"shoppers?|storefronts?|returns", 1), (r"shopify stores?", 2),
    ),
    "agency": (
        (r"(?:marketing|digital|creative|seo|ad|design) agenc(?:y|ies)", 3), (r"agenc(?:y|ies)", 1.5),
        (r"retainers?", 1), (r"client reports?|client campaigns?", 1),
    ),
    "restaurant": (
        (r"restaurants?|diners?|cafés?|cafes?|bistros?", 2.5), (r"menus?|kitchens?|chefs?", 1.5),
        (r"table (?:bookings?|reservations?)|covers", 1.5), (r"(?:food|catering) orders?", 1.5),
    ),
    "legal": (
        (r"law firms?|lawyers?|attorneys?|paralegals?|solicitors?", 2.5), (r"legal", 1.5),
        (r"litigation|case files?|matters?", 1), (r"retainer agreements?", 1.5),
    ),
    "logistics": (
        (r"logistics|freight|3PL|trucking", 2.5), (r"warehouses?|fleets?|dispatch\w*", 1.5),
        (r"shipments?|shipping|deliver(?:y|ies)|drivers?", 1), (r"carriers?", 0.75),
    ),
    "recruiting": (
        (r"recruit(?:ing|ers?|ment)|staffing agenc\w*|talent acquisition", 2.5),
        (r"candidates?|applicants?|hiring|job (?:postings?|openings?)", 1.5),
        (r"interviews?|résumés?|resumes?|CVs?", 1),
    ),
    "saas": (
        (r"SaaS|software compan(?:y|ies)|B2B software"
         r"|(?:sells?|selling|builds?|building|makes?) (?:\w+ ){1,3}software", 2.5),
        (r"MRR|ARR|trial-to-paid|product-led", 2),
        (r"churn|trial users?|free trials?|\d+-day trials?", 1.5),
        (r"self-serve|in-app|demo requests?|sign-?ups|SDRs?", 1.5), (r"startups?|trials?", 0.75),
    ),
    "construction": (
        (r"construction|general contractors?|subcontractors?|homebuilders?", 2.5),
        (r"contractors?|builders?", 1),
        (r"job ?sites?|HVAC|plumb\w*|roof\w*|remodel\w*|renovat\w*|electricians?|landscap\w*", 2),
        (r"estimates?|bids?", 0.75), (r"home services?|trades?(?:people|men)?", 1.5),
    ),
    "retail": (
        (r"retail(?:ers?)?|brick-and-mortar|in-store", 2.5), (r"boutiques?", 1),
        (r"stores?|shops?", 0.75), (r"foot traffic|point of sale|POS", 1.5),
    ),
    "education": (
        (r"schools?|students?|teachers?|tutor\w*|universit(?:y|ies)|education", 2.5),
        (r"courses?|lessons?|classes|parents", 1),
    ),
    "hospitality": (
        (r"hotels?|hospitality|B&Bs?|bed and breakfast|vacation rentals?|short-term rentals?", 2.5),
        (r"guests?|check-?ins?|front desk|airbnb", 1.5),
    ),
    "finance": (
        (r"financial (?:advis\w*|planners?|planning)|wealth management|fintech", 2.5),
        (r"banks?|lending|lenders?|loans?|mortgages?|investments?|investors?", 1.5),
        (r"portfolios?|KYC", 1),
    ),
}

SIGNAL_TERMS: tuple[Weighted, ...] = (
    (r"automat(?:e|es|ed|ing|ion|ions)", 1.5), (r"automatic|automatically", 1.0),
    (r"every (?:morning|night|evening|day|week|month|monday|tuesday|wednesday|thursday|friday"
     r"|saturday|sunday)|nightly|overnight", 0.8),
    (r"(?:is|are|gets?|get|got) (?:automatically )?(?:emailed|texted|sent|posted|generated|created"
     r"|updated|filed|routed|logged|synced|pushed|flagged|notified)", 0.8),
    (r"work ?flows?", 1.5), (r"zaps?", 1.5), (r"no-code|low-code|nocode", 1.5),
    (r"chat ?bots?|bots?", 1.2), (r"integrat(?:e|es|ed|ing|ion|ions)", 1.2),
    (r"webhooks?", 1.5), (r"APIs?", 1.0), (r"trigger(?:s|ed|ing)?", 1.2), (r"RPA", 1.5),
    (r"auto-?(?:reply|replies|responders?|fill(?:s|ed)?|populat\w*|generat\w*|sends?)", 1.5),
    (r"reminders?", 0.8), (r"templates?", 0.6), (r"sequences?", 0.8), (r"scenarios?", 0.5),
    (r"sync(?:s|ed|ing)?|synchroni[sz]\w*", 1.0), (r"pipelines?", 0.5), (r"scripts?", 0.6),
    (r"dashboards?", 0.8), (r"OCR", 1.2), (r"AI|GPT|LLMs?|machine learning", 0.8),
    (r"e-?signatures?", 0.8), (r"data entry", 1.0), (r"manual(?:ly)?", 0.6),
    (r"no longer", 0.4), (r"(?:set|sets|setting) (?:it )?up|built|configured", 0.5),
    (r"connect(?:s|ed|ing)?", 0.6), (r"notif(?:y|ies|ied|ication|ications)", 0.6),
    (r"rout(?:e|es|ed|ing)", 0.5), (r"CRM", 0.8), (r"follow[- ]?ups?", 0.6),
    (r"sends? (?:an? |the )?(?:automated )?(?:texts?|sms|emails?|messages?|reminders?)", 1.0),
    (r"hours? (?:a|per|each|every) (?:week|month|day)", 0.7),
    (r"[$€£]\d[\d,.]*k?\s*(?:/|per |a )\s*mo(?:nth)?", 0.7),
)

# Title labels per type, most specific first. A label is used only when each of its words
# (bar the type's own name, _GENERIC) occurs in the passage; the last one is the fallback.
TYPE_LABELS: dict[str, tuple[str, ...]] = {
    "scheduling": ("Interview scheduling", "Appointment reminders", "Booking reminders",
                   "Reservation reminders", "Appointment booking", "Online booking",
                   "Scheduling automation"),
    "follow_up": ("Invoice follow-ups", "Payment follow-ups", "Renewal follow-ups",
                  "Recall follow-ups", "Quote follow-ups", "Lead follow-ups", "Win-back follow-ups",
                  "Automated follow-ups"),
    "lead_generation": ("Lead enrichment", "Lead scoring", "Lead qualification", "Lead capture",
                        "Lead routing", "Lead generation"),
    "client_communication": ("Chatbot replies", "Support ticket replies", "Drafted replies",
                             "Status updates", "Inbox triage", "Client communication"),
    "document_automation": ("Client intake forms", "Invoice processing", "Receipt processing",
                            "Claims processing", "Proposal generation", "Contract generation",
                            "Contract e-signature", "Form processing", "Document automation"),
    "reporting": ("Reporting dashboard", "Weekly reports", "Daily reports", "Monthly reports",
                  "Client reports", "Automated reporting"),
    "marketing": ("Review requests", "Social media posting", "Abandoned cart emails",
                  "Email campaigns", "Newsletter", "Marketing automation"),
    "workflow_optimization": ("Client onboarding", "Onboarding workflow", "Inventory sync",
                              "Order processing", "Approval workflow", "Ticket routing",
                              "Maintenance requests", "Workflow automation"),
    "other": ("Automation",),
}
_GENERIC = frozenset({"automation", "automated", "follow", "ups", "scheduling", "workflow",
                      "reporting", "marketing", "communication", "processing", "generation"})
INDUSTRY_LABELS: dict[str, str] = {
    "real_estate": "real estate", "ecommerce": "e-commerce", "agency": "agencies",
    "restaurant": "restaurants", "saas": "SaaS",
}


_TOKEN_START = re.compile(r"(?<!\w)[\w$€£]")


class Lexicon:
    """Many labelled, weighted patterns matched in one scan of the text.

    Patterns are bucketed by the characters they can start with, so at each word start only
    the few patterns of that letter are tried: ~10x faster than one big alternation.
    """

    def __init__(self, table: dict[str, Iterable[Weighted]]) -> None:
        entries = [(label, pattern, weight) for label, items in table.items()
                   for pattern, weight in items]
        # Longest first, so a phrase wins over the word it contains at the same position.
        entries.sort(key=lambda e: -len(e[1]))
        self._meta = [(label, weight) for label, _, weight in entries]
        patterns = [pattern for _, pattern, _ in entries]
        buckets: dict[str, list[int]] = {}
        anywhere: list[int] = []
        for index, pattern in enumerate(patterns):
            firsts = _first_chars(pattern)
            for char in firsts or ():
                buckets.setdefault(char, []).append(index)
            if firsts is None:
                anywhere.append(index)
        self._by_char = {c: _compile(patterns, sorted(ids + anywhere)) for c, ids in buckets.items()}
        self._default = _compile(patterns, anywhere) if anywhere else None

    def hits(self, text: str) -> list[tuple[str, float, int, str]]:
        """(label, weight, pattern index, matched text) for every match, in text order."""
        out = []
        resume = 0
        for token in _TOKEN_START.finditer(text):
            pos = token.start()
            regex = self._by_char.get(text[pos].lower(), self._default)
            if pos < resume or regex is None:
                continue
            match = regex.match(text, pos)
            if match:
                index = int(match.lastgroup[1:])  # type: ignore[index]
                label, weight = self._meta[index]
                out.append((label, weight, index, match.group(0)))
                resume = match.end()
        return out

    def score(self, text: str, cap: int = 3) -> dict[str, float]:
        """Weighted hits per label, each pattern counted at most ``cap`` times."""
        seen: dict[int, int] = {}
        scores: dict[str, float] = {}
        for label, weight, index, _ in self.hits(text):
            seen[index] = seen.get(index, 0) + 1
            if seen[index] <= cap:
                scores[label] = scores.get(label, 0.0) + weight
        return scores


def _compile(patterns: list[str], ids: list[int]) -> re.Pattern[str]:
    body = "|".join(f"(?P<k{i}>{patterns[i]})" for i in ids)
    return re.compile(rf"(?:{body})(?!\w)", re.IGNORECASE)


def _first_chars(pattern: str) -> set[str] | None:
    """Lower-cased characters a match can start with; None when that cannot be told."""
    if sre_parse is None:
        return None
    try:
        return _firsts(list(sre_parse.parse(pattern, re.IGNORECASE)))
    except Exception:  # noqa: BLE001 — a private parser; falling back only costs speed
        return None


def _firsts(items: list) -> set[str] | None:  # type: ignore[type-arg]
    for i, (op, arg) in enumerate(items):
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        if op is sre.LITERAL:
            return {chr(arg).lower()}
        if op is sre.IN and all(kind is sre.LITERAL for kind, _ in arg):
            return {chr(v).lower() for _, v in arg}
        if op is sre.SUBPATTERN:
            return _firsts(list(arg[-1]) + items[i + 1:])
        if op is sre.BRANCH:
            found: set[str] = set()
            for branch in arg[1]:
                sub = _firsts(list(branch) + items[i + 1:])
                if sub is None:
                    return None
                found |= sub
            return found
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, _, sub_items = arg
            head = _firsts(list(sub_items))
            if head is None or low > 0:
                return head
            rest = _firsts(items[i + 1:])
            return None if rest is None else head | rest
        return None
    return None


TYPES = Lexicon(TYPE_KEYWORDS)
INDUSTRY = Lexicon(INDUSTRY_KEYWORDS)
SIGNAL = Lexicon({"signal": SIGNAL_TERMS})


def ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    """Positive scores, best first; ties broken by the taxonomy's own order for stability."""
    order = {name: i for i, name in enumerate(AUTOMATION_TYPES + INDUSTRIES)}
    items = [(k, round(v, 2)) for k, v in scores.items() if v > 0]
    return sorted(items, key=lambda kv: (-kv[1], order.get(kv[0], 99)))


def classify_automation(text: str) -> list[tuple[str, float]]:
    """Automation types by weighted keyword hits, best first; empty when no keyword occurs."""
    return ranked(TYPES.score(text))


def classify_industry(text: str) -> list[tuple[str, float]]:
    """Industries by weighted keyword hits, best first; empty when no keyword occurs."""
    return ranked(INDUSTRY.score(text))


# An industry keyword this strong names the kind of business itself ("a dental practice",
# "law firms", "HVAC"); weaker ones only lean ("orders", "drivers", "claims") and never state
# an industry on their own.
STATED_WEIGHT = 2.0


def stated_industries(sentence: str) -> set[str]:
    """Industries the sentence itself names (a keyword of weight >= STATED_WEIGHT)."""
    return {label for label, weight, _, _ in INDUSTRY.hits(sentence) if weight >= STATED_WEIGHT}


def type_label(automation_type: str, passage: str) -> str:
    """A label naming what the passage itself mentions (e.g. reminders), else the type's name."""
    lowered = passage.lower()
    labels = TYPE_LABELS.get(automation_type, TYPE_LABELS["other"])
    for label in labels[:-1]:
        words = [w.lower() for w in re.split(r"[\s-]+", label) if w.lower() not in _GENERIC]
        if all(w[:5].rstrip("s") in lowered for w in words):
            return label
    return labels[-1]


def industry_label(industry: str) -> str:
    return INDUSTRY_LABELS.get(industry, industry.replace("_", " "))


# Context words that give a quantity its meaning (find_numbers looks for the nearest one).
NUMBER_CONTEXT: dict[str, str] = {
    "save": r"sav(?:e|es|ed|ing|ings)|freed|frees|free(?:s|d)? up|freeing|reclaim\w*|back"
            r"|cut|cuts|reduc\w*|shav\w*|eliminat\w*|no longer|used to|instead of|recover\w*"
            r"|recoup\w*|spared|less time",
    "cost": r"costs?|costing|price[ds]?|pricing|plans?|subscriptions?|pay|pays|paying|paid"
            r"|fees?|licen[cs]es?|billed|charges?|spends? on|spending on|starts? at|tier",
    "revenue": r"revenue|sales|membership|average (?:order|ticket|sale|deal|customer|client|booking)"
               r"|lifetime value|LTV|worth|earn\w*|income|profit|margin|pipeline",
    "setup": r"set(?:ting)?[\s-]?(?:it |this |that |everything |them )?up|setup|build|builds"
             r"|built|building|implement\w*|configur\w*"
             r"|install\w*|wir(?:e|ed|ing) (?:it |everything )?up|deploy\w*|launch(?:ed)?"
             r"|to get (?:it|everything) running|rollout|roll(?:ed)? out",
    "down": r"drop(?:s|ped)?|fell|fall(?:s|en)?|decreas\w*|reduc\w*|cut|cuts|lower(?:ed)?|down"
            r"|slash\w*|shr[au]nk|less|fewer|declin\w*|shorter",
    "up": r"increas\w*|rose|rise[ns]?|grew|grow(?:s|th)?|(?<!set )(?<!follow )(?<!sign )up"
          r"|improv\w*|boost\w*|jump\w*|more|higher|rais\w*|doubl\w*|tripl\w*|climb\w*|lift\w*",
}
