"""Backend.AI common (fixture)."""
