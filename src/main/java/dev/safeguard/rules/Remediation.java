package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rule's remediation: plain text saying how to fix a violation, in which {@code {{name}}} stands for the value of
 * one of the rule's variables, or of {@code podSpecPath} or {@code replicas}. Parsed once when the rule loads (an
 * unknown name is a load error); rendered only for a violation.
 */
public final class Remediation {

    /** The engine's derived variables a remediation may name, besides the rule's own. */
    public static final Set<String> DERIVED = Set.of("podSpecPath", "replicas");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");

    /** One piece of the text: a literal, or a placeholder for {@code name}. */
    public record Part(String literal, String name) {
        public boolean placeholder() {
            return name != null;
        }
    }

    private final String template;
    private final List<Part> parts;

    private Remediation(String template, List<Part> parts) {
        this.template = template;
        this.parts = List.copyOf(parts);
    }

    /**
     * Parses a remediation.
     *
     * @param variables the rule's variable names
     * @throws IllegalArgumentException naming the placeholder that is not a variable, or a stray {@code {{}
     */
    static Remediation parse(String template, Set<String> variables) {
        String text = template.strip().replaceAll("\\s*\\n\\s*", " ");
        List<Part> parts = new ArrayList<>();
        Matcher matcher = PLACEHOLDER.matcher(text);
        int last = 0;
        while (matcher.find()) {
            if (matcher.start() > last) {
                parts.add(new Part(literal(text.substring(last, matcher.start())), null));
            }
            String name = matcher.group(1);
            if (!variables.contains(name) && !DERIVED.contains(name)) {
                throw new IllegalArgumentException("{{" + name + "}} names no variable of the rule (its variables: "
                        + (variables.isEmpty() ? "none" : String.join(", ", variables)) + "; also podSpecPath, replicas)");
            }
            parts.add(new Part(null, name));
            last = matcher.end();
        }
        if (last < text.length()) {
            parts.add(new Part(literal(text.substring(last)), null));
        }
        return new Remediation(text, parts);
    }

    private static String literal(String text) {
        if (text.contains("{{") || text.contains("}}")) {
            throw new IllegalArgumentException("unbalanced '{{' or '}}' in \"" + text.strip()
                    + "\": write a placeholder as {{variableName}}");
        }
        return text;
    }

    /** The text as written (line breaks folded), placeholders included. */
    public String template() {
        return template;
    }

    /** The text with each placeholder shown as {@code <name>}: for documentation, where there is no object. */
    public String generic() {
        StringBuilder text = new StringBuilder();
        for (Part part : parts) {
            text.append(part.placeholder() ? "<" + part.name() + ">" : part.literal());
        }
        return text.toString();
    }

    public List<Part> parts() {
        return parts;
    }

    /** The names the text interpolates. */
    public List<String> names() {
        return parts.stream().filter(Part::placeholder).map(Part::name).distinct().toList();
    }

    /**
     * The text with every placeholder replaced by {@code value.apply(name)} rendered as CEL's {@code string()}
     * renders it (a string as it is, an int in decimal, a bool as true or false).
     *
     * @throws IllegalArgumentException when a value is of another type (a list, a map)
     */
    String render(Function<String, Object> value) {
        StringBuilder text = new StringBuilder();
        for (Part part : parts) {
            if (!part.placeholder()) {
                text.append(part.literal());
                continue;
            }
            Object resolved = value.apply(part.name());
            if (resolved instanceof String || resolved instanceof Long || resolved instanceof Integer
                    || resolved instanceof Boolean) {
                text.append(resolved);
            } else {
                throw new IllegalArgumentException("remediation interpolates {{" + part.name() + "}}, which is "
                        + Params.describe(resolved) + ", not a string, int or bool");
            }
        }
        return text.toString();
    }
}
