"""City names of the airports the airline serves (the DB stores only IATA codes)."""

from __future__ import annotations

AIRPORT_CITIES: dict[str, str] = {
    "ATL": "Atlanta",
    "AUS": "Austin",
    "BNA": "Nashville",
    "BOS": "Boston",
    "CLT": "Charlotte",
    "DCA": "Washington",
    "DEN": "Denver",
    "DFW": "Dallas-Fort Worth",
    "DTW": "Detroit",
    "EWR": "Newark",
    "IAH": "Houston",
    "JFK": "New York",
    "LAS": "Las Vegas",
    "LAX": "Los Angeles",
    "LGA": "New York",
    "MCO": "Orlando",
    "MIA": "Miami",
    "MSP": "Minneapolis",
    "ORD": "Chicago",
    "PDX": "Portland",
    "PHL": "Philadelphia",
    "PHX": "Phoenix",
    "SAN": "San Diego",
    "SEA": "Seattle",
    "SFO": "San Francisco",
    "SLC": "Salt Lake City",
}


# τ²-bench's `list_all_airports` answer, in its order and with its city names.
TAU2_AIRPORTS: tuple[tuple[str, str], ...] = (
    ("SFO", "San Francisco"), ("JFK", "New York"), ("LAX", "Los Angeles"), ("ORD", "Chicago"),
    ("DFW", "Dallas"), ("DEN", "Denver"), ("SEA", "Seattle"), ("ATL", "Atlanta"), ("MIA", "Miami"),
    ("BOS", "Boston"), ("PHX", "Phoenix"), ("IAH", "Houston"), ("LAS", "Las Vegas"), ("MCO", "Orlando"),
    ("EWR", "Newark"), ("CLT", "Charlotte"), ("MSP", "Minneapolis"), ("DTW", "Detroit"),
    ("PHL", "Philadelphia"), ("LGA", "LaGuardia"),
)
