"""The article body: candidate containers, boilerplate removal, structured-data text."""
