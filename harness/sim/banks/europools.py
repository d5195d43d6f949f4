"""Synthetic values for eurobank's traffic: pools of names, places and account layouts.

Everything is made up or public reference data: names are combined at random from common
given names and surnames, companies from invented stems, activities and legal forms; account
layouts are the ISO 13616 registry's BBAN structures; bank codes in BICs are invented.
The valid pools hold SWIFT 'X' characters only; the ``ACCENTED_*`` and ``*_FLAWED`` pools
hold what real customers type and a SEPA bank rejects.
"""

from __future__ import annotations

GIVEN = (
    "Anna", "Lukas", "Marie", "Jan", "Sophie", "Paul", "Laura", "Thomas", "Julia", "Pierre",
    "Camille", "Luca", "Giulia", "Marco", "Sofia", "Pablo", "Lucia", "Javier", "Carmen",
    "Pieter", "Sanne", "Joost", "Emma", "Noah", "Elena", "Mateus", "Joao", "Ana", "Liam",
    "Aoife", "Sean", "Mikko", "Aino", "Lars", "Ingrid", "Piotr", "Katarzyna", "Tomas", "Eva",
    "Andreas", "Katrin", "Stefan", "Nikos", "Maria", "Jakob", "Clara", "Felix", "Lea", "Hugo",
)  # fmt: skip
SURNAMES = (
    "Schmidt", "Mueller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Hoffmann", "Martin", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Rossi",
    "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Garcia", "Fernandez", "Gonzalez",
    "Rodriguez", "Lopez", "Martinez", "De Jong", "Jansen", "De Vries", "Van den Berg", "Bakker",
    "Peeters", "Janssens", "Maes", "Silva", "Santos", "Ferreira", "Pereira", "Murphy", "Kelly",
    "O'Brien", "O'Connor", "Virtanen", "Korhonen", "Nowak", "Kowalski", "Novak", "Horvat",
    "Papadopoulos", "Schuster-Lang", "Lindqvist", "Jensen", "Hansen",
)  # fmt: skip
ACCENTED_GIVEN = (
    "José", "François", "Jürgen", "Zoë", "Łukasz", "Søren", "Björn", "Inês", "Agnès", "Dóra",
    "Hélène", "Jérôme", "Ráfael", "Małgorzata", "Jiří", "Ørjan", "Åsa", "Ångel", "Núria",
)  # fmt: skip
ACCENTED_SURNAMES = (
    "Müller", "García", "Jiménez", "Wójcik", "Dvořák", "Håkansson", "Sørensen", "Gonçalves",
    "Lefèvre", "Kovačević", "Öztürk", "Ó Súilleabháin", "Schröder", "Nuñez", "Kuçi", "Bäcker",
)  # fmt: skip
STEMS = (
    "Alpine", "Nordic", "Baltic", "Rhein", "Danube", "Atlas", "Helios", "Orion", "Delta", "Vega",
    "Aurora", "Meridian", "Apex", "Silva", "Terra", "Lumen", "Nova", "Kronos", "Bauer", "Lindner",
    "Moreau", "Bianco", "Castell", "Van Leeuwen", "Keller", "Ostrava", "Tagus", "Liffey",
)  # fmt: skip
ACTIVITIES = (
    "Logistik", "Logistics", "Consulting", "Trading", "Solutions", "Engineering", "Bau",
    "Immobilien", "Software", "Systems", "Foods", "Textiles", "Energy", "Pharma", "Design",
    "Media", "Transport", "Tech", "Holding", "Services", "Handel", "Distribution", "Maritime",
)  # fmt: skip
LEGAL_FORMS = (
    "GmbH", "AG", "SARL", "SAS", "SA", "S.r.l.", "S.p.A.", "S.L.", "B.V.", "N.V.", "BVBA", "Ltd",
    "Oy", "AB", "ApS", "Sp. z o.o.", "s.r.o.", "Lda", "KG", "GmbH + Co. KG", "Ltd.", "e.K.",
)  # fmt: skip
# Names with the characters of the set that ordinary days seldom show: digits, + / ? : ( ) , '
RARE_NAMES = (
    "Studio 54 Events Ltd", "A+B Architects BV", "C/O Weber Verwaltung", "Fix-It: Home Services",
    "Who? Design Studio", "Alpha (Europe) S.A.", "Mueller, Hans", "3D Print Lab 24 GmbH",
    "anna schmidt", "PIETER DE VRIES", "Zeta 2000 Import-Export, S.L.", "T.O.P. Reisen KG",
    "O'Neill + O'Neill Solicitors", "Kanzlei Dr. Berg (Partnerschaft)", "Unit 7/B Workshop",
)  # fmt: skip
SYMBOL_NAMES = (
    "Studio_Nord GmbH", "Shop@Home Ltd", '"Alpha" Consulting', "Bake! Bakery SARL",
    "Nord#1 Logistik", "Fit*Club AB", "Zeta; Import SL", "Best~Price BV", "Meyer=Partner KG",
)  # fmt: skip
AMPERSAND_FORMS = ("GmbH & Co. KG", "& Sohn GmbH", "& Partners Ltd", "& Fils SARL", "& Hijos S.L.")

STREETS = (
    "Hauptstrasse", "Bahnhofstrasse", "Rue de la Paix", "Via Roma", "Calle Mayor", "Kerkstraat",
    "Main Street", "High Street", "Rua Augusta", "Avenue des Champs-Elysees", "Gran Via",
    "Dorpsstraat", "Storgatan", "Ul. Marszalkowska", "Schillerweg", "Boulevard Haussmann",
    "Via Garibaldi", "Paseo de Gracia", "Rue du Marche", "Industriestrasse",
)  # fmt: skip
ACCENTED_STREETS = (
    "Hauptstraße", "Rue de l'Église", "Calle de Alcalá", "Rua da Conceição", "Königsallee",
    "Ulica Żelazna", "Nørregade", "Vaci utca Ő", "Åkervägen", "Piazza Navona Nº",
)  # fmt: skip
TOWNS: dict[str, tuple[str, ...]] = {
    "DE": ("Berlin", "Hamburg", "Muenchen", "Koeln", "Frankfurt am Main", "Stuttgart", "Leipzig"),
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Saint-Etienne"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Den Haag"),
    "ES": ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao"),
    "IT": ("Roma", "Milano", "Torino", "Napoli", "Bologna"),
    "BE": ("Bruxelles", "Antwerpen", "Gent", "Liege"),
    "AT": ("Wien", "Graz", "Linz", "Salzburg"),
    "IE": ("Dublin", "Cork", "Galway"),
    "PT": ("Lisboa", "Porto", "Braga"),
    "FI": ("Helsinki", "Espoo", "Tampere"),
}
FAR_TOWNS = (
    "London", "Zurich", "Warszawa", "Stockholm", "Oslo", "Kobenhavn", "Praha", "Budapest",
    "Bucuresti", "Istanbul", "Dubai", "Riyadh", "Tel Aviv", "Sao Paulo", "Karachi", "Doha",
    "Kuwait City", "Amman", "Cairo", "Kyiv", "Tbilisi", "Port Louis", "Castries", "Valletta",
)  # fmt: skip
ACCENTED_TOWNS = (
    "München", "Köln", "Düsseldorf", "Besançon", "Orléans", "Saint-Étienne", "Łódź", "Göteborg",
    "Málaga", "Zürich", "København", "Brașov", "Liège", "Jyväskylä",
)  # fmt: skip
# Town names of the set longer than the limit (35).
TOO_LONG_TOWNS = (
    "Saint-Remy-en-Bouzemont-Saint-Genest-et-Isson", "Llanfairpwllgwyngyll-gogerychwyrndrobwll",
    "Villeneuve-la-Garenne-sur-Seine (Hauts-de-Seine)", "Frankfurt am Main-Niederrad, Bezirk 5",
)  # fmt: skip

# BBAN layouts (ISO 13616 registry): n digits, a upper-case letters, c letters or digits.
BBAN: dict[str, str] = {
    "DE": "18n", "FR": "10n11c2n", "IT": "1a10n12c", "ES": "20n", "NL": "4a10n", "BE": "12n",
    "AT": "16n", "PT": "21n", "IE": "4a14n", "FI": "14n", "LU": "3n13c", "GR": "7n16c",
    "SK": "20n", "SI": "15n", "EE": "16n", "LV": "4a13c", "LT": "16n", "CY": "8n16c",
    "MT": "4a5n18c", "HR": "17n", "CH": "5n12c", "LI": "5n12c", "NO": "11n", "SE": "20n",
    "DK": "14n", "PL": "24n", "CZ": "20n", "HU": "24n", "RO": "4a16c", "BG": "4a6n8c",
    "GB": "4a14n", "IS": "22n", "MC": "10n11c2n", "SM": "1a10n12c", "BR": "23n1a1c",
    "SA": "2n18c", "AE": "19n", "KW": "4a22c", "IL": "19n", "TR": "5n1n16c", "PK": "4a16c",
    "QA": "4a21c", "JO": "4a4n18c", "LC": "4a24c", "EG": "25n", "UA": "6n19c", "GE": "2a16n",
    "MU": "4a19n3a",
}  # fmt: skip
SEPA_DEBTOR = (("DE", 30), ("FR", 22), ("NL", 12), ("ES", 10), ("IT", 10), ("BE", 6), ("AT", 5))
SEPA_CREDITOR = SEPA_DEBTOR + (("IE", 3), ("PT", 3), ("FI", 2), ("LU", 2), ("GR", 1))
# Countries a normal day never shows, for edge days: shortest (NO, 15) and longest (MT, 31) IBANs.
SEPA_RARE = (
    "NO", "MT", "LI", "MC", "SM", "IS", "CY", "EE", "LV", "LT", "SI", "SK", "HR", "BG", "RO",
    "HU", "CZ", "PL", "SE", "DK", "CH", "GB",
)  # fmt: skip
# Cross-border: the creditor's country and its currency.
WORLD = (
    ("GB", "GBP", 20), ("CH", "CHF", 15), ("PL", "PLN", 8), ("SE", "SEK", 5), ("NO", "NOK", 5),
    ("DK", "DKK", 5), ("CZ", "CZK", 4), ("HU", "HUF", 3), ("RO", "RON", 3), ("TR", "TRY", 5),
    ("AE", "AED", 6), ("SA", "SAR", 4), ("IL", "ILS", 4), ("BR", "BRL", 4), ("PK", "PKR", 2),
    ("QA", "QAR", 2), ("EG", "EGP", 2), ("UA", "UAH", 2),
)  # fmt: skip
WORLD_RARE = (("KW", "KWD"), ("JO", "JOD"), ("GE", "GEL"), ("MU", "MUR"), ("LC", "XCD"))
BANK_CODES = ("EURB", "NORD", "HANS", "BAYL", "RIVB", "ALPB", "MERC", "SOLB", "CITB", "VOLK")
PURPOSES = ("SUPP", "SALA", "TRAD", "RENT", "GDDS", "SCVE", "INTC")
RARE_PURPOSES = ("CHAR", "GOVT", "PENS", "LOAN", "TAXS", "BONU", "COMC", "ELEC", "INSU", "STDY")
MONTHS: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July")
MONTHS += ("August", "September", "October", "November", "December")
REMITTANCE_FLAWED: tuple[str, ...] = (
    "Invoice #{n}",
    "Rent {m} €",
    "Order {n} & shipping",
    "Miete für {m}",
)
REMITTANCE_FLAWED += ("Ref_{n}", "Payment 100%", "Invoice {n}; thanks", 'Order "{n}"', "Danke!")
NICKNAMES = (
    "Landlord", "Mum", "Café Müller", "Gym", "🏠 Rent", "Kita Sonnenschein", "Steuerberater",
    "Nounou Léa", "Electrician", "Piano lessons", "Fußballverein", "田中さん", "Zoë & Tom",
)  # fmt: skip
