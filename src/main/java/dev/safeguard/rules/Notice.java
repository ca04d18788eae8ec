package dev.safeguard.rules;

/**
 * Something the user should know about a decision that is not a rule's verdict: an exemption annotation without a
 * reason, a violation judged in full although the object names an owner.
 *
 * @param topic what it is about: a rule id or an annotation ({@code safeguard.dev/exempt})
 */
public record Notice(String topic, String text) {

    /** {@code [topic] text}, rendered like every rule line. */
    public String line() {
        return RuleResult.line(topic, text);
    }
}
