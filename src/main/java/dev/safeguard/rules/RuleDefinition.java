package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A rule as written in its YAML file: data only, nothing compiled yet.
 *
 * @param onError     what an evaluation error (or a rule over its budget) does: deny, warn or audit; null for the
 *                    default (see {@link RuleSet.Entry#onError()})
 * @param params      the params: a mapping of defaults (types inferred) or a list of declarations (see {@link Params})
 * @param variables   named sub-expressions, read as {@code variables.<name>} by the expressions after them
 * @param related     kinds of other objects in the same namespace the rule reads through the {@code related}
 *                    variable (context lookups); empty for rules that judge the object alone
 * @param remediation how to fix a violation, plain text; {@code {{name}}} inserts a variable
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record RuleDefinition(
        @JsonProperty(required = true) String id,
        @JsonProperty(required = true) String title,
        @JsonProperty(required = true) Category category,
        @JsonProperty(required = true) Action action,
        Action onError,
        @JsonProperty(required = true) Match match,
        Object params,
        List<Variable> variables,
        List<String> related,
        @JsonProperty(required = true) String validation,
        @JsonProperty(required = true) String message,
        String remediation,
        String docs) {

    public RuleDefinition {
        variables = variables == null ? List.of() : List.copyOf(variables);
        related = related == null ? List.of() : List.copyOf(related);
    }

    /** Which objects a rule looks at. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Match(@JsonProperty(required = true) List<String> kinds) {
        public Match {
            kinds = kinds == null ? List.of() : List.copyOf(kinds);
        }
    }

    /** A named CEL sub-expression, evaluated at most once per object and only when read. */
    public record Variable(@JsonProperty(required = true) String name, @JsonProperty(required = true) String expression) {
    }

    public boolean needsContext() {
        return !related.isEmpty();
    }
}
