/// The version the service and the command report.
public enum ServiceVersion {
    public static let current = "0.1.0"
}
