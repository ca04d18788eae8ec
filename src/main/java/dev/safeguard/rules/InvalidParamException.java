package dev.safeguard.rules;

/**
 * A param value or declaration that does not fit: names the field ({@code spec.rules[0].params.allowed}) and what
 * was expected. The loaders turn it into a {@link RuleLoadException} naming the file and the rule.
 */
public class InvalidParamException extends Exception {

    private final String field;
    private final String problem;

    public InvalidParamException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
        this.problem = problem;
    }

    /** The field, e.g. {@code spec.rules[0].params.allowed[2]}. */
    public String field() {
        return field;
    }

    /** What is wrong with it, e.g. {@code expected a list of strings, got a string ("NET_BIND_SERVICE")}. */
    public String problem() {
        return problem;
    }
}
