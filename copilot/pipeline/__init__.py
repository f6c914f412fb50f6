"""From a transcript to a typed question with its retrieved framework, topics and stories."""
