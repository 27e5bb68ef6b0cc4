"""dingdan (訂單): an open-source online order system."""
