password = 'SievertFakeB'  # not a config file
