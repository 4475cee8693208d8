"""Article records: schema, building, records files, reading them back and exporting them."""
