package dev.safeguard.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders the rules reference (docs/rules.md) from the rule files, so the docs cannot drift from the pack. */
public final class RulesReference {

    public static final String REGENERATE = "./mvnw -q test -Dtest=RulesReferenceTest -Dsafeguard.write=true";

    private static final ObjectMapper JSON = new ObjectMapper();

    private RulesReference() {
    }

    public static String markdown(List<CompiledRule> rules) {
        StringBuilder md = new StringBuilder();
        md.append("# Safeguard rules\n\n")
                .append("<!-- Generated from src/main/resources/safeguards/ by RulesReference; do not edit.\n")
                .append("     Regenerate: ").append(REGENERATE).append(" -->\n\n")
                .append("The built-in pack: ").append(rules.size()).append(" rules, one YAML file each under ")
                .append("`src/main/resources/safeguards/`. Every rule runs the same in the admission webhook and in ")
                .append("`safeguard check`. A policy can change any rule's action and params (see [policy.md](policy.md)).\n\n")
                .append("Actions: `deny` rejects, `warn` allows with a warning kubectl prints, `audit` records ")
                .append("silently (audit annotation, log, metrics), `off` does not evaluate. In audit mode nothing is ")
                .append("rejected: deny becomes a warning marked *would deny*.\n\n")
                .append("Objects a controller made from a judged template (Pods of a ReplicaSet, StatefulSet, DaemonSet ")
                .append("or Job; ReplicaSets of a Deployment; Jobs of a CronJob) inherit their verified owner's standing ")
                .append("for every violation the owner's template also has; anything else is judged in full (see ")
                .append("[verdicts follow ownership](policy.md#verdicts-follow-ownership)).\n\n")
                .append("| Rule | Category | Default action | Kinds | Needs context |\n")
                .append("| --- | --- | --- | --- | --- |\n");
        for (CompiledRule rule : rules) {
            RuleDefinition definition = rule.definition();
            md.append("| [`").append(definition.id()).append("`](#").append(definition.id()).append(") | ")
                    .append(definition.category().id()).append(" | ").append(definition.action().id()).append(" | ")
                    .append(String.join(", ", definition.match().kinds())).append(" | ")
                    .append(definition.needsContext() ? String.join(", ", definition.related()) : "").append(" |\n");
        }
        for (CompiledRule rule : rules) {
            RuleDefinition definition = rule.definition();
            Action onError = RuleSet.defaultOnError(definition.category(), definition.action());
            md.append("\n## ").append(definition.id()).append("\n\n")
                    .append("**").append(definition.title()).append("**\n\n")
                    .append("- Category: ").append(definition.category().id()).append("\n")
                    .append("- Default action: `").append(definition.action().id()).append("`\n")
                    .append("- On error: `").append(definition.onError() != null ? definition.onError().id()
                            : onError.id() + "` (default for " + (onError == Action.DENY ? "a deny-level security rule"
                                    : "this rule") + ")").append(definition.onError() != null ? "`" : "").append("\n")
                    .append("- Kinds: ").append(String.join(", ", definition.match().kinds())).append("\n");
            if (definition.needsContext()) {
                md.append("- Context: reads ").append(String.join(", ", definition.related()))
                        .append(" in the same namespace (cluster cache in the webhook, the other manifests in ")
                        .append("`safeguard check`); without context this part of the rule stays quiet\n");
            }
            md.append("\n").append(definition.docs() == null ? "" : definition.docs().strip()).append("\n");
            if (rule.remediation() != null) {
                md.append("\n**Fix:** ").append(rule.remediation().generic()).append("\n");
            }
            if (!rule.params().isEmpty()) {
                md.append("\nParams:\n\n| param | type | default | description |\n| --- | --- | --- | --- |\n");
                for (Params.Param param : rule.params().declared()) {
                    md.append("| `").append(param.name()).append("` | ").append(param.typeName())
                            .append(param.required() ? ", required" : "").append(" | ")
                            .append(param.defaultValue() == null ? "" : "`" + json(param.defaultValue()) + "`")
                            .append(" | ").append(param.description() == null ? ""
                                    : param.description().strip().replaceAll("\\s+", " ").replace("|", "\\|"))
                            .append(" |\n");
                }
            }
            md.append("\n<details><summary>Rule expressions (CEL)</summary>\n\n```cel\n");
            for (RuleDefinition.Variable variable : definition.variables()) {
                md.append("// variables.").append(variable.name()).append("\n")
                        .append(variable.expression().strip()).append("\n\n");
            }
            md.append("// validation: true when compliant\n").append(definition.validation().strip())
                    .append("\n\n// message\n").append(definition.message().strip())
                    .append("\n```\n\n</details>\n");
        }
        return md.toString();
    }

    /** JSON with a space after each separator, as people write it inline. */
    private static String json(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().map(RulesReference::json).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(entry -> json(String.valueOf(entry.getKey())) + ": " + json(entry.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a param default cannot be written as JSON", e);
        }
    }
}
