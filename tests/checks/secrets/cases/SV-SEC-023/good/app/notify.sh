curl https://hooks.slack.com/services/T000/B000/XXX
