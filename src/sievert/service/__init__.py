"""The Sievert service: images analysed once, stored, judged and queried over HTTP."""
