"""The read-only review web page (`marsad web`)."""
