/// Placeholder.
public enum EmoCoreModule {}
