package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * A rule as written in its YAML file: data only, nothing compiled yet.
 *
 * @param related kinds of other objects in the same namespace the rule reads through the {@code related}
 *                variable (context lookups); empty for rules that judge the object alone
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record RuleDefinition(
        @JsonProperty(required = true) String id,
        @JsonProperty(required = true) String title,
        @JsonProperty(required = true) Category category,
        @JsonProperty(required = true) Action action,
        @JsonProperty(required = true) Match match,
        Map<String, Object> params,
        List<String> related,
        @JsonProperty(required = true) String validation,
        @JsonProperty(required = true) String message,
        String docs) {

    public RuleDefinition {
        params = params == null ? Map.of() : params;
        related = related == null ? List.of() : List.copyOf(related);
    }

    /** Which objects a rule looks at. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Match(@JsonProperty(required = true) List<String> kinds) {
        public Match {
            kinds = kinds == null ? List.of() : List.copyOf(kinds);
        }
    }

    public boolean needsContext() {
        return !related.isEmpty();
    }
}
