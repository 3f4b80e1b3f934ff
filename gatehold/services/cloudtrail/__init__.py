"""AWS CloudTrail: event lookup and trails."""
