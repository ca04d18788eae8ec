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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a SafeguardPolicy file (safeguard.dev/v1alpha1) and builds the {@link Policy} it describes on top of
 * the built-in pack: mode, overrides by rule id, custom rules, excluded namespaces. Every mistake is a
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
            OwnershipSpec ownership) {
    }

    record OwnershipSpec(List<Ownership.TrustedController> trustedControllers) {
    }

    record Override(@JsonProperty(required = true) String id, Action action, Action onError, Map<String, Object> params) {
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
        RuleSet rules = RuleSet.withDefaults(pack).plus(customRules(source, spec));
        Set<String> overridden = new HashSet<>();
        List<Override> overrides = spec.rules() == null ? List.of() : spec.rules();
        for (int i = 0; i < overrides.size(); i++) {
            Override override = overrides.get(i);
            String where = "spec.rules[" + i + "]";
            if (!rules.contains(override.id())) {
                throw new RuleLoadException(source, override.id(), where + ": no rule with this id (built-in: "
                        + pack.stream().map(CompiledRule::id).collect(Collectors.joining(", ")) + ")");
            }
            if (!overridden.add(override.id())) {
                throw new RuleLoadException(source, override.id(), where + ": overridden twice");
            }
            if (override.onError() == Action.OFF) {
                throw new RuleLoadException(source, override.id(), where + ".onError: must be deny, warn or audit: "
                        + "an error is never ignored");
            }
            try {
                rules = rules.withOverride(override.id(), override.action(), override.onError(), override.params(),
                        where + ".params");
            } catch (InvalidParamException e) {
                throw new RuleLoadException(source, override.id(), e.getMessage(), e);
            }
        }
        List<String> unusable = rules.problems();
        if (!unusable.isEmpty()) {
            throw new RuleLoadException(source, null, String.join("; ", unusable));
        }
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
        return new Policy(name, fingerprint(text), spec.mode() == null ? Mode.ENFORCE : spec.mode(), rules, excluded,
                true, ownership);
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
