package dev.safeguard.rules;

/**
 * A rule that could not be evaluated on an object (its CEL failed at runtime, e.g. on a field it did not
 * guard with has()). The rule counts as passed for that object, and the error is reported, never thrown.
 */
public record RuleError(String ruleId, String message) {
}
