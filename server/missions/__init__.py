"""Parent missions: a parent's goal for a child, checked by ``sync.missions``, rewarded once."""
