package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a SafeguardPolicy file (safeguard.dev/v1alpha1) and builds the {@link Policy} it describes on top of
 * the built-in pack: mode, overrides by rule id (dated or not), custom rules, excluded namespaces, ownership, what
 * exemptions need, per-namespace policies and the team label. Every mistake is a
 * {@link RuleLoadException} naming the file, the rule and the position; nothing half-built is returned.
 */
public final class PolicyLoader {

    public static final String API_VERSION = "safeguard.dev/v1alpha1";
    public static final String KIND = "SafeguardPolicy";

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** The file as written. */
    record Document(@JsonProperty(required = true) String apiVersion, @JsonProperty(required = true) String kind,
            Metadata metadata, @JsonProperty(required = true) Spec spec) {
    }

    record Metadata(String name, Map<String, String> labels, Map<String, String> annotations) {
    }

    record Spec(Mode mode, List<Override> rules, List<JsonNode> customRules, Exclude exclude,
            OwnershipSpec ownership, ExemptionsSpec exemptions, List<NamespaceSpec> namespaces, String teamLabel) {
    }

    record ExemptionsSpec(Boolean requireExpiry, Integer maxDays, ExemptionPolicy.Grantors grantors) {
    }

    record NamespaceSpec(String name, @JsonProperty(required = true) Map<String, Object> selector, Mode mode,
            List<Override> rules) {
    }

    record OwnershipSpec(List<Ownership.TrustedController> trustedControllers) {
    }

    record Override(@JsonProperty(required = true) String id, Action action, Action onError, Map<String, Object> params,
            String enforceFrom) {
    }

    record Exclude(List<String> namespaces) {
    }

    private final RuleLoader ruleLoader;
    private final List<CompiledRule> pack;

    public PolicyLoader(RuleLoader ruleLoader, List<CompiledRule> pack) {
        this.ruleLoader = ruleLoader;
        this.pack = List.copyOf(pack);
    }

    public Policy load(Path file) throws RuleLoadException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuleLoadException(file.toString(), null, "cannot be read: " + e.getMessage(), e);
        }
        return parse(file.toString(), text);
    }

    public Policy parse(String source, String text) throws RuleLoadException {
        if (text.isBlank()) {
            throw new RuleLoadException(source, null, "is empty: expected one " + KIND + " document");
        }
        Document document;
        try {
            document = YAML.readValue(text, Document.class);
        } catch (UnrecognizedPropertyException e) {
            throw new RuleLoadException(source, null, "unknown field '" + YamlErrors.path(e) + "'" + YamlErrors.at(e.getLocation())
                    + " (known here: " + e.getKnownPropertyIds().stream().map(String::valueOf).sorted()
                            .collect(Collectors.joining(", ")) + ")", e);
        } catch (JsonMappingException e) {
            throw new RuleLoadException(source, null, "field '" + YamlErrors.path(e) + "'" + YamlErrors.at(e.getLocation()) + ": "
                    + YamlErrors.rootMessage(e), e);
        } catch (JsonProcessingException e) {
            throw new RuleLoadException(source, null, "not valid YAML" + YamlErrors.at(e.getLocation()) + ": "
                    + e.getOriginalMessage(), e);
        }
        if (!API_VERSION.equals(document.apiVersion()) || !KIND.equals(document.kind())) {
            throw new RuleLoadException(source, null, "expected apiVersion " + API_VERSION + " and kind " + KIND
                    + ", found " + document.apiVersion() + " " + document.kind());
        }
        Spec spec = document.spec();
        RuleSet rules = overridden(source, RuleSet.withDefaults(pack).plus(customRules(source, spec)), spec.rules(),
                "spec.rules");
        Mode mode = spec.mode() == null ? Mode.ENFORCE : spec.mode();
        Set<String> excluded = new LinkedHashSet<>();
        if (spec.exclude() != null && spec.exclude().namespaces() != null) {
            excluded.addAll(spec.exclude().namespaces());
        }
        Ownership ownership = spec.ownership() == null || spec.ownership().trustedControllers() == null
                ? Ownership.BUILT_IN : new Ownership(spec.ownership().trustedControllers());
        List<String> problems = ownership.problems();
        if (!problems.isEmpty()) {
            throw new RuleLoadException(source, null, String.join("; ", problems));
        }
        String name = document.metadata() != null && document.metadata().name() != null
                ? document.metadata().name() : source;
        String teamLabel = spec.teamLabel() == null ? null : spec.teamLabel().strip();
        if (teamLabel != null && !teamLabel.isEmpty() && !LABEL_KEY.matcher(teamLabel).matches()) {
            throw new RuleLoadException(source, null, "spec.teamLabel: '" + teamLabel + "' is not a label key "
                    + "(e.g. team or example.com/team)");
        }
        return new Policy(name, fingerprint(text), mode, rules, excluded, true, ownership,
                exemptionPolicy(source, spec.exemptions()), namespaces(source, spec.namespaces(), rules, mode), teamLabel);
    }

    /** A label key: an optional DNS-subdomain prefix and a name of up to 63 characters. */
    private static final Pattern LABEL_KEY = Pattern.compile(
            "([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

    /** {@code base} with the overrides written at {@code where} applied, each checked. */
    private RuleSet overridden(String source, RuleSet base, List<Override> overrides, String where)
            throws RuleLoadException {
        RuleSet rules = base;
        Set<String> overridden = new HashSet<>();
        List<Override> list = overrides == null ? List.of() : overrides;
        for (int i = 0; i < list.size(); i++) {
            Override override = list.get(i);
            String at = where + "[" + i + "]";
            if (!rules.contains(override.id())) {
                throw new RuleLoadException(source, override.id(), at + ": no rule with this id (built-in: "
                        + pack.stream().map(CompiledRule::id).collect(Collectors.joining(", ")) + ")");
            }
            if (!overridden.add(override.id())) {
                throw new RuleLoadException(source, override.id(), at + ": overridden twice");
            }
            if (override.onError() == Action.OFF) {
                throw new RuleLoadException(source, override.id(), at + ".onError: must be deny, warn or audit: "
                        + "an error is never ignored");
            }
            Instant enforceFrom = null;
            if (override.enforceFrom() != null) {
                try {
                    enforceFrom = PolicyDates.parse(override.enforceFrom());
                } catch (DateTimeParseException e) {
                    throw new RuleLoadException(source, override.id(), at + ".enforceFrom: "
                            + PolicyDates.expected("enforceFrom", override.enforceFrom()), e);
                }
                Action action = override.action() != null ? override.action()
                        : rules.find(override.id()).orElseThrow().action();
                if (action != Action.DENY) {
                    throw new RuleLoadException(source, override.id(), at + ".enforceFrom: needs action deny, not "
                            + action.id() + " (it dates when the rule's violations start being denied)");
                }
            }
            try {
                rules = rules.withOverride(override.id(), override.action(), override.onError(), override.params(),
                        enforceFrom, at + ".params");
            } catch (InvalidParamException e) {
                throw new RuleLoadException(source, override.id(), e.getMessage(), e);
            }
        }
        List<String> unusable = rules.problems();
        if (!unusable.isEmpty()) {
            throw new RuleLoadException(source, null, (where.equals("spec.rules") ? "" : where + ": ")
                    + String.join("; ", unusable));
        }
        return rules;
    }

    private static ExemptionPolicy exemptionPolicy(String source, ExemptionsSpec spec) throws RuleLoadException {
        if (spec == null) {
            return ExemptionPolicy.OPEN;
        }
        if (spec.maxDays() != null && spec.maxDays() < 1) {
            throw new RuleLoadException(source, null, "spec.exemptions.maxDays: must be at least 1 (days an exemption "
                    + "may run from the moment it is judged), not " + spec.maxDays());
        }
        ExemptionPolicy.Grantors grantors = spec.grantors() == null ? ExemptionPolicy.Grantors.ANYONE : spec.grantors();
        List<String> problems = grantors.problems("spec.exemptions.grantors");
        if (!problems.isEmpty()) {
            throw new RuleLoadException(source, null, String.join("; ", problems));
        }
        return new ExemptionPolicy(Boolean.TRUE.equals(spec.requireExpiry()), spec.maxDays(), grantors);
    }

    /** The namespace entries, each the policy's rules with its overrides on top, its mode defaulting to the policy's. */
    private List<NamespacePolicy> namespaces(String source, List<NamespaceSpec> specs, RuleSet rules, Mode mode)
            throws RuleLoadException {
        List<NamespacePolicy> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<NamespaceSpec> list = specs == null ? List.of() : specs;
        for (int i = 0; i < list.size(); i++) {
            NamespaceSpec spec = list.get(i);
            String where = "spec.namespaces[" + i + "]";
            String name = spec.name() == null || spec.name().isBlank() ? "namespaces[" + i + "]" : spec.name().strip();
            if (name.equals(Policy.CLUSTER_SCOPE)) {
                throw new RuleLoadException(source, null, where + ".name: '" + Policy.CLUSTER_SCOPE + "' is the scope of "
                        + "the policy's own rules in metrics; choose another name");
            }
            if (!names.add(name)) {
                throw new RuleLoadException(source, null, where + ".name: '" + name + "' names another entry too");
            }
            String invalid = selectorProblem(spec.selector());
            if (invalid != null) {
                throw new RuleLoadException(source, null, where + ".selector" + invalid);
            }
            entries.add(new NamespacePolicy(name, LabelSelector.of(spec.selector()),
                    spec.mode() == null ? mode : spec.mode(), overridden(source, rules, spec.rules(), where + ".rules")));
        }
        return entries;
    }

    /** What is wrong with a namespace selector (a metav1.LabelSelector), as a suffix of its path; null when valid. */
    private static String selectorProblem(Map<String, Object> selector) {
        for (String key : selector.keySet()) {
            if (!key.equals("matchLabels") && !key.equals("matchExpressions")) {
                return ": unknown field '" + key + "' (known here: matchLabels, matchExpressions)";
            }
        }
        if (selector.get("matchLabels") != null && !(selector.get("matchLabels") instanceof Map<?, ?>)) {
            return ".matchLabels: a mapping of label keys to values";
        }
        if (selector.get("matchLabels") instanceof Map<?, ?> labels) {
            for (Map.Entry<?, ?> label : labels.entrySet()) {
                if (!(label.getValue() instanceof String)) {
                    return ".matchLabels." + label.getKey() + ": a label value is a string (quote it: \"" + label.getValue()
                            + "\")";
                }
            }
        }
        Object expressions = selector.get("matchExpressions");
        if (expressions != null && !(expressions instanceof List<?>)) {
            return ".matchExpressions: a list of {key, operator, values}";
        }
        List<?> list = expressions == null ? List.of() : (List<?>) expressions;
        for (int i = 0; i < list.size(); i++) {
            String at = ".matchExpressions[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> requirement) || !(requirement.get("key") instanceof String)) {
                return at + ": needs a key, an operator and (for In, NotIn) values";
            }
            Object operator = requirement.get("operator");
            boolean needsValues = "In".equals(operator) || "NotIn".equals(operator);
            if (!needsValues && !"Exists".equals(operator) && !"DoesNotExist".equals(operator)) {
                return at + ".operator: '" + operator + "' is not In, NotIn, Exists or DoesNotExist";
            }
            boolean hasValues = requirement.get("values") instanceof List<?> values && !values.isEmpty();
            if (needsValues != hasValues) {
                return at + ".values: " + (needsValues ? "required, non-empty, for " : "not allowed with ") + operator;
            }
        }
        return null;
    }

    private List<CompiledRule> customRules(String source, Spec spec) throws RuleLoadException {
        List<CompiledRule> custom = new ArrayList<>();
        Set<String> ids = pack.stream().map(CompiledRule::id).collect(Collectors.toCollection(HashSet::new));
        List<JsonNode> trees = spec.customRules() == null ? List.of() : spec.customRules();
        for (int i = 0; i < trees.size(); i++) {
            JsonNode tree = trees.get(i);
            String where = source + ": spec.customRules[" + i + "]";
            if (tree == null || !tree.isObject()) {
                throw new RuleLoadException(where, null, "a custom rule is a mapping with the fields of a rule file");
            }
            CompiledRule rule = ruleLoader.load(where, tree);
            if (rule.id().equals(Exemptions.GRANT)) {
                throw new RuleLoadException(where, rule.id(), "reserved rule id: it names the refusal of an exemption "
                        + "grant in messages and metrics");
            }
            if (!ids.add(rule.id())) {
                throw new RuleLoadException(where, rule.id(), "duplicate rule id (a built-in or an earlier custom "
                        + "rule has it; override built-ins under spec.rules instead)");
            }
            custom.add(rule);
        }
        return custom;
    }

    /** First 12 hex digits of the SHA-256 of the file: the policy version in logs and metrics. */
    public static String fingerprint(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
