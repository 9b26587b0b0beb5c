"""Fixed vocabulary of the retail generator: product types and their options, people, places."""

from __future__ import annotations

# name -> (typical price, {option: values}); every variant picks one value per option.
PRODUCT_TYPES: dict[str, tuple[float, dict[str, list[str]]]] = {
    "Rain Jacket": (89.0, {"color": ["navy", "olive", "yellow", "black"], "size": ["S", "M", "L", "XL"],
                           "hood": ["detachable", "fixed"]}),
    "Trail Backpack": (120.0, {"capacity": ["20L", "30L", "45L"], "color": ["grey", "orange", "green"],
                               "frame": ["internal", "frameless"]}),
    "Ceramic Mug Set": (34.0, {"pieces": ["2", "4", "6"], "glaze": ["matte", "glossy"],
                               "color": ["white", "sage", "terracotta"]}),
    "Wireless Headset": (149.0, {"color": ["black", "silver", "blue"], "noise cancelling": ["yes", "no"],
                                 "battery": ["20h", "40h"]}),
    "Standing Desk": (420.0, {"width": ["120cm", "140cm", "160cm"], "top": ["oak", "walnut", "white"],
                              "motor": ["single", "dual"]}),
    "Blender": (75.0, {"power": ["600W", "900W", "1200W"], "jar": ["glass", "plastic"], "color": ["red", "black"]}),
    "Air Fryer": (110.0, {"capacity": ["3 quarts", "5 quarts", "7 quarts"], "finish": ["black", "stainless"],
                          "display": ["digital", "dial"]}),
    "Throw Blanket": (45.0, {"material": ["wool", "fleece", "cotton"], "color": ["cream", "charcoal", "rust"],
                             "size": ["throw", "queen"]}),
    "Camping Tent": (210.0, {"capacity": ["2-person", "4-person", "6-person"], "season": ["3-season", "4-season"],
                             "color": ["green", "orange"]}),
    "Sleeping Bag": (95.0, {"rating": ["0F", "20F", "40F"], "fill": ["down", "synthetic"], "length": ["regular", "long"]}),
    "Board Game": (40.0, {"edition": ["classic", "deluxe"], "language": ["English", "Spanish", "French"],
                          "players": ["2-4", "2-6"]}),
    "Electric Scooter": (480.0, {"range": ["15 miles", "25 miles", "40 miles"], "color": ["black", "white"],
                                 "max speed": ["15 mph", "20 mph"]}),
    "Hair Dryer": (65.0, {"power": ["1600W", "1875W"], "color": ["rose", "black", "white"],
                          "attachments": ["diffuser", "concentrator", "both"]}),
    "Desk Organizer": (28.0, {"material": ["bamboo", "metal", "acrylic"], "compartments": ["3", "5", "7"]}),
    "Table Lamp": (58.0, {"shade": ["linen", "glass", "metal"], "base": ["brass", "ceramic", "wood"],
                          "bulb": ["LED", "incandescent"]}),
    "Kitchen Knife Set": (130.0, {"pieces": ["5", "8", "12"], "steel": ["German", "Japanese"],
                                  "block": ["wood", "magnetic"]}),
    "Computer Monitor": (260.0, {"size": ["24 inch", "27 inch", "32 inch"], "resolution": ["1080p", "1440p", "4K"],
                                 "refresh rate": ["60Hz", "144Hz"]}),
    "Webcam": (70.0, {"resolution": ["720p", "1080p", "4K"], "microphone": ["mono", "stereo"],
                      "mount": ["clip", "tripod"]}),
    "Wool Scarf": (38.0, {"color": ["burgundy", "grey", "camel", "navy"], "pattern": ["plain", "plaid", "striped"]}),
    "Leather Wallet": (55.0, {"style": ["bifold", "trifold", "card holder"], "color": ["brown", "black", "tan"]}),
    "Tennis Racket": (140.0, {"head size": ["98 sq in", "100 sq in", "105 sq in"], "weight": ["285g", "300g"],
                              "grip size": ["2", "3", "4"]}),
    "Cookware Set": (230.0, {"pieces": ["7", "10", "14"], "material": ["stainless steel", "nonstick", "copper"]}),
    "Plant Pot": (24.0, {"diameter": ["15cm", "20cm", "30cm"], "material": ["terracotta", "ceramic", "concrete"],
                         "drainage": ["yes", "no"]}),
    "Jump Rope": (18.0, {"length": ["8 ft", "10 ft"], "handle": ["foam", "aluminum", "wood"], "cable": ["steel", "pvc"]}),
    "Robot Vacuum": (330.0, {"mapping": ["lidar", "camera", "none"], "mop": ["yes", "no"], "color": ["black", "white"]}),
    "Electric Toothbrush": (85.0, {"modes": ["3", "5"], "color": ["white", "black", "pink"], "travel case": ["yes", "no"]}),
    "Fitness Tracker": (99.0, {"band": ["silicone", "fabric", "metal"], "color": ["black", "blue", "lilac"],
                               "GPS": ["built-in", "connected"]}),
    "Bookshelf Speaker": (180.0, {"color": ["walnut", "black", "white"], "connectivity": ["bluetooth", "wired", "wifi"]}),
    "Stand Mixer": (290.0, {"bowl": ["4.5 quarts", "5.5 quarts"], "color": ["red", "cream", "graphite", "teal"],
                            "power": ["300W", "500W"]}),
    "Puzzle": (22.0, {"pieces": ["500", "1000", "2000"], "theme": ["landscape", "animals", "art", "city"]}),
}

FIRST_NAMES = [
    "Amara", "Bruno", "Camila", "Darius", "Elif", "Felix", "Greta", "Hamid", "Ines", "Jonas", "Keiko", "Luca",
    "Maya", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Samir", "Tessa", "Umar", "Vera", "Wendell", "Ximena",
    "Yara", "Zane", "Aiko", "Bastian", "Celine", "Dmitri", "Esme", "Farid", "Gemma", "Hugo", "Isla", "Jomo",
]
LAST_NAMES = [
    "Abbott", "Bianchi", "Castillo", "Delacroix", "Eriksen", "Fontaine", "Gallagher", "Hoshino", "Ibarra",
    "Jovanovic", "Kowalczyk", "Lindqvist", "Mbeki", "Nakamura", "Oyelaran", "Petrov", "Quintero", "Rahman",
    "Sorensen", "Takahashi", "Umarov", "Vasquez", "Whitfield", "Yilmaz", "Zielinski", "Achebe", "Brennan",
]
STREETS = [
    "Maple Avenue", "Harbor Street", "Willow Lane", "Granite Road", "Orchard Way", "Lakeview Drive", "Cedar Court",
    "Mill Street", "Sunrise Boulevard", "Foxglove Path", "Beacon Street", "Juniper Terrace", "Canal Road",
    "Chestnut Street", "Prairie Avenue", "Riverbend Drive", "Quarry Lane", "Elm Street", "Summit Avenue",
]
# (city, state, zip prefix): zips are the prefix plus two random digits
CITIES = [
    ("Portland", "OR", "972"), ("Austin", "TX", "787"), ("Boston", "MA", "021"), ("Denver", "CO", "802"),
    ("Madison", "WI", "537"), ("Raleigh", "NC", "276"), ("Tucson", "AZ", "857"), ("Omaha", "NE", "681"),
    ("Richmond", "VA", "232"), ("Spokane", "WA", "992"), ("Savannah", "GA", "314"), ("Albany", "NY", "122"),
    ("Boise", "ID", "837"), ("Columbus", "OH", "432"), ("Sacramento", "CA", "958"), ("Burlington", "VT", "054"),
]
CARD_BRANDS = ["visa", "mastercard", "amex", "discover"]

PERSONAS = [
    "Polite and patient; answers every question fully.",
    "Brief and to the point; does not volunteer information unless asked.",
    "A little anxious about money and double-checks every amount.",
    "Friendly and chatty, but gives the details when asked.",
    "In a hurry; wants the request handled with as few messages as possible.",
    "Careful and methodical; repeats the key details back before agreeing.",
]
