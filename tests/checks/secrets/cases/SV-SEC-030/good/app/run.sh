npm_config_cache=/x
