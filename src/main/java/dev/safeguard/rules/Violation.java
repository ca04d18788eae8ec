package dev.safeguard.rules;

/** One rule an object breaks: which rule, what this policy does about it, and what to fix. */
public record Violation(String ruleId, Category category, Action action, String message) {

    /** "[rule-id] message", the form used in denials, warnings and logs. */
    public String describe() {
        return "[" + ruleId + "] " + message;
    }
}
