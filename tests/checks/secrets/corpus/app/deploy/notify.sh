curl -X POST https://hooks.slack.com/services/TWZON59H1GA/BE80Y6FI3SM/SievertFakeNUbL9FKWr1PrR
