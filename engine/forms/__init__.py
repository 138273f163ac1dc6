"""Task forms: JSON Schemas stored by key, and validation of what people submit."""
