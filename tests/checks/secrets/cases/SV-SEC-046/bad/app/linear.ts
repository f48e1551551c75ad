const key = "lin_api_SievertFakeccakmVkfRELcSDBP5MO2z3GnhHQuz";
