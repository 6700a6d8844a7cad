"""Pet Inventory service: the catalogue of pets for sale and their stock."""
