const key = "lin_api_";
