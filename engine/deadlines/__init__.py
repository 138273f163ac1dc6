"""Deadlines and what happens when they pass: escalations, their climb, the business calendar."""
