export GH_TOKEN=ghp_short
