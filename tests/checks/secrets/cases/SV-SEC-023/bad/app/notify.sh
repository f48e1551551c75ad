curl -X POST https://hooks.slack.com/services/TSSYMYQCH2U/BKSEKQR65OS/SievertFakev9GPp5R3zDNdy
