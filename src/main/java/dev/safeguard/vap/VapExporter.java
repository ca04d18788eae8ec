package dev.safeguard.vap;

import dev.cel.common.CelValidationException;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.Ownership;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyDates;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RuleDefinition;
import dev.safeguard.rules.Remediation;
import dev.safeguard.rules.RuleResult;
import dev.safeguard.rules.RuleSet;
import dev.safeguard.rules.Workload;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns a policy's rules into Kubernetes ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1) with
 * their bindings, so a cluster can run the same safeguards natively, and says exactly which rules cannot be
 * expressed that way and why, rather than emitting something that behaves differently.
 *
 * <p>Each exported rule becomes one policy and one binding named {@code safeguard-<rule-id>}:
 * <ul>
 * <li>match.kinds become {@code matchConstraints.resourceRules} (CREATE and UPDATE, as the webhook judges);</li>
 * <li>the engine's derived variables the rule reads become VAP {@code variables}, built from the object the way
 * the engine builds them, and the rule's references are rewritten to {@code variables.<name>} on the AST;
 * {@code params} becomes a variable holding the policy's params as a CEL literal;</li>
 * <li>the {@code safeguard.dev/exempt} annotation (with its required reason) and, of the engine's inherited
 * verdicts, what a policy can check (the object is made by the controller trusted for its owner's kind)
 * become {@code matchConditions};</li>
 * <li>the policy's excluded namespaces become the binding's namespaceSelector;</li>
 * <li>the rule's variables become VAP {@code variables} after the derived ones, as they are (rules read them as
 * {@code variables.<name>} already), and its remediation is appended to the message as the engine renders it;</li>
 * <li>deny is validationActions [Deny] (in audit mode [Warn, Audit]), warn is [Warn], audit is [Audit]
 * ({@link Disposition});</li>
 * <li>failurePolicy Fail when the rule's onError is at least as severe as its action (the API server then handles
 * an evaluation error with the binding's validationActions, as it handles a violation), else Ignore (the error
 * lets the object through).</li>
 * </ul>
 */
public final class VapExporter {

    public static final String API_VERSION = "admissionregistration.k8s.io/v1";
    public static final String NAME_PREFIX = "safeguard-";

    /** The engine's derived variables, in the order a VAP must declare them (containers reads podSpec). */
    static final List<String> DERIVED = List.of("params", "podSpec", "podSpecPath", "podLabels", "containers", "replicas");

    /** Variables a VAP has under the same name and meaning ({@code variables}: the rule's own, exported as they are). */
    private static final Set<String> NATIVE = Set.of("object", "oldObject", "request", VapExpression.VARIABLES);

    /**
     * Functions of the CEL environment every API server serving admissionregistration.k8s.io/v1 (1.30+) offers
     * to ValidatingAdmissionPolicy expressions, among those a rule here can call: standard CEL, the Kubernetes
     * strings, lists, regex and quantity libraries. Operators ({@code _+_}, {@code @in}, ...) are always there.
     */
    private static final Set<String> KUBERNETES_FUNCTIONS = Set.of(
            "size", "contains", "startsWith", "endsWith", "matches", "int", "uint", "double", "string", "bytes",
            "bool", "type", "dyn", "duration", "timestamp", "getFullYear", "getMonth", "getDayOfYear",
            "getDayOfMonth", "getDate", "getDayOfWeek", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
            "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split", "substring", "trim",
            "join", "isSorted", "sum", "min", "max", "find", "findAll",
            "quantity", "isQuantity", "compareTo", "isLessThan", "isGreaterThan", "add", "sub", "asInteger",
            "isInteger", "asApproximateFloat", "sign",
            "hasValue", "value", "orValue", "or", "optional.of", "optional.ofNonZeroValue", "optional.none");

    /** The object, untyped: see {@link #variables}. */
    private static final String OBJECT = "dyn(object)";

    /** A rule that became a policy and a binding (YAML-ready maps). */
    public record Exported(String ruleId, Map<String, Object> policy, Map<String, Object> binding) {
    }

    /** A rule left out, and why. */
    public record Skipped(String ruleId, String reason) {
    }

    /**
     * @param notes what the export does not carry over as the webhook applies it (per-namespace policies, dates), one
     *              line each
     */
    public record Result(List<Exported> exported, List<Skipped> skipped, List<String> disabled, List<String> notes) {
    }

    public Result export(Policy policy) {
        return export(policy, Instant.now());
    }

    /**
     * The policy as ValidatingAdmissionPolicies as of {@code at}: a ValidatingAdmissionPolicy has no dates, so a dated
     * deny whose date is still ahead is exported as the would-deny it is until then (export again from that date).
     */
    public Result export(Policy policy, Instant at) {
        List<String> notes = new ArrayList<>();
        if (!policy.namespaces().isEmpty()) {
            notes.add("spec.namespaces (" + policy.namespaces().size() + " entries) is not exported: bindings cannot "
                    + "express first-match namespace policies; every namespace gets the policy's own rules and mode");
        }
        List<Exported> exported = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        List<String> disabled = new ArrayList<>();
        for (RuleSet.Entry entry : policy.rules().entries()) {
            if (entry.action() == Action.OFF) {
                disabled.add(entry.id());
                continue;
            }
            try {
                Instant from = entry.scheduledAfter(at);
                if (from != null && policy.mode() == Mode.ENFORCE) {
                    notes.add(entry.id() + ": exported as a would-deny ([Warn, Audit]) because its enforceFrom "
                            + PolicyDates.format(from) + " is ahead; export again from that date");
                }
                exported.add(export(policy, entry, from == null ? entry.action() : Action.WARN));
            } catch (NotExportable e) {
                skipped.add(new Skipped(entry.id(), e.getMessage()));
            }
        }
        return new Result(exported, skipped, disabled, notes);
    }

    /** Why a rule cannot become a ValidatingAdmissionPolicy. */
    static final class NotExportable extends Exception {
        NotExportable(String reason) {
            super(reason);
        }
    }

    /** @param action the action to bind with: the rule's, or warn for a deny not enforced yet */
    private Exported export(Policy policy, RuleSet.Entry entry, Action action) throws NotExportable {
        RuleDefinition rule = entry.rule().definition();
        if (rule.needsContext()) {
            throw new NotExportable("needs context (related: " + String.join(", ", rule.related())
                    + "): a ValidatingAdmissionPolicy sees only the object under review, not the other objects "
                    + "of its namespace");
        }
        List<String> unknownKinds = rule.match().kinds().stream().filter(kind -> ApiResource.of(kind).isEmpty()).toList();
        if (!unknownKinds.isEmpty()) {
            throw new NotExportable("matches kind " + String.join(", ", unknownKinds) + ", whose API group and "
                    + "resource the exporter does not know");
        }
        Set<String> rewritten = Set.copyOf(DERIVED);
        // The rule's variables, in order: each may read the ones before it, and may itself be a list of containers.
        Set<String> containerVariables = new LinkedHashSet<>();
        List<VapExpression> expressions = new ArrayList<>();
        List<Map<String, Object>> ruleVariables = new ArrayList<>();
        for (RuleDefinition.Variable variable : rule.variables()) {
            VapExpression parsed = parse(variable.expression(), "variables." + variable.name(), rewritten,
                    containerVariables);
            if (parsed.containerList()) {
                containerVariables.add(variable.name());
            }
            expressions.add(parsed);
            ruleVariables.add(variable(variable.name(), parsed.text()));
        }
        VapExpression validation = parse(rule.validation(), "validation", rewritten, containerVariables);
        VapExpression message = parse(rule.message(), "message", rewritten, containerVariables);
        expressions.add(validation);
        expressions.add(message);
        Set<String> free = new TreeSet<>();
        Set<String> functions = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        Set<String> containerFields = new TreeSet<>();
        for (VapExpression expression : expressions) {
            free.addAll(expression.freeIdentifiers());
            functions.addAll(expression.functions());
            problems.addAll(expression.problems());
            containerFields.addAll(expression.containerFields());
        }
        Remediation remediation = entry.rule().remediation();
        if (remediation != null) {
            remediation.names().stream().filter(Remediation.DERIVED::contains).forEach(free::add);
        }

        if (free.contains("related")) {
            throw new NotExportable("reads the related variable (context): a ValidatingAdmissionPolicy sees only "
                    + "the object under review");
        }
        for (String own : List.of("selectorMatches", "selecting", "selectedBy")) {
            if (functions.contains(own)) {
                throw new NotExportable("calls " + own + "(), kube-safeguard's label-selector function, which the "
                        + "Kubernetes CEL environment does not have");
            }
        }
        if (functions.contains("cel.bind")) {
            throw new NotExportable("uses cel.bind(), which the Kubernetes CEL environment does not offer "
                    + "(kube-apiserver 1.35 rejects it as an undeclared reference)");
        }
        Set<String> unknownFunctions = functions.stream()
                .filter(function -> !isOperator(function) && !KUBERNETES_FUNCTIONS.contains(function))
                .collect(Collectors.toCollection(TreeSet::new));
        if (!unknownFunctions.isEmpty()) {
            throw new NotExportable("calls " + String.join(", ", unknownFunctions) + ", not in the CEL environment "
                    + "of every Kubernetes release serving " + API_VERSION);
        }
        Set<String> unknownIdentifiers = free.stream()
                .filter(name -> !NATIVE.contains(name) && !DERIVED.contains(name))
                .collect(Collectors.toCollection(TreeSet::new));
        if (!unknownIdentifiers.isEmpty()) {
            throw new NotExportable("reads " + String.join(", ", unknownIdentifiers) + ", which a "
                    + "ValidatingAdmissionPolicy does not have");
        }
        if (!problems.isEmpty()) {
            throw new NotExportable("the containers variable cannot be rebuilt for it: " + problems.get(0)
                    + " (an exported containers variable carries only the fields the rule reads)");
        }
        String name = NAME_PREFIX + rule.id();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("failurePolicy", entry.onError().atLeast(entry.action()) ? "Fail" : "Ignore");
        spec.put("matchConstraints", Map.of("resourceRules", resourceRules(rule.match().kinds())));
        List<Map<String, Object>> conditions = matchConditions(entry, rule, policy.ownership());
        if (!conditions.isEmpty()) {
            spec.put("matchConditions", conditions);
        }
        List<Map<String, Object>> variables = variables(entry, rule.match().kinds(), free, containerFields);
        variables.addAll(ruleVariables);
        if (!variables.isEmpty()) {
            spec.put("variables", variables);
        }
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("expression", validation.text());
        check.put("messageExpression", messageExpression(rule.id(), message.text(), remediation));
        check.put("message", RuleResult.line(rule.id(), rule.title()));
        check.put("reason", "Forbidden");
        spec.put("validations", List.of(check));

        Map<String, Object> policyObject = object("ValidatingAdmissionPolicy", name, policy, entry);
        policyObject.put("spec", spec);

        Map<String, Object> bindingSpec = new LinkedHashMap<>();
        bindingSpec.put("policyName", name);
        bindingSpec.put("validationActions", validationActions(action == Action.WARN && entry.action() == Action.DENY
                ? Disposition.WOULD_DENY : Disposition.of(action, policy.mode())));
        if (!policy.excludedNamespaces().isEmpty()) {
            bindingSpec.put("matchResources", Map.of("namespaceSelector", Map.of("matchExpressions", List.of(
                    Map.of("key", "kubernetes.io/metadata.name", "operator", "NotIn",
                            "values", List.copyOf(new TreeSet<>(policy.excludedNamespaces())))))));
        }
        Map<String, Object> binding = object("ValidatingAdmissionPolicyBinding", name, policy, entry);
        binding.put("spec", bindingSpec);
        return new Exported(rule.id(), policyObject, binding);
    }

    /**
     * The message as the engine renders a violation ({@link RuleResult#describe()}): {@code [id] message. Fix:
     * remediation}, the remediation's placeholders read from the policy's variables with CEL's string().
     */
    private static String messageExpression(String id, String message, Remediation remediation) {
        StringBuilder expression = new StringBuilder(CelLiteral.string(RuleResult.line(id, "")))
                .append(" + (").append(message).append(")");
        if (remediation != null) {
            expression.append(" + ").append(CelLiteral.string(RuleResult.FIX));
            for (Remediation.Part part : remediation.parts()) {
                expression.append(" + ").append(part.placeholder()
                        ? "string(" + VapExpression.VARIABLES + "." + part.name() + ")"
                        : CelLiteral.string(part.literal()));
            }
        }
        return expression.toString();
    }

    private static Map<String, Object> variable(String name, String expression) {
        Map<String, Object> variable = new LinkedHashMap<>();
        variable.put("name", name);
        variable.put("expression", expression);
        return variable;
    }

    private static VapExpression parse(String expression, String field, Set<String> rewritten,
            Set<String> containerVariables) throws NotExportable {
        try {
            return VapExpression.of(expression, rewritten, Set.copyOf(containerVariables));
        } catch (CelValidationException e) {
            // The engine compiled it, so this would be a parser difference: say so rather than guess.
            throw new NotExportable(field + " does not parse for export: " + e.getMessage());
        }
    }

    private static boolean isOperator(String function) {
        return function.startsWith("_") || function.startsWith("@") || function.startsWith("!");
    }

    private static Map<String, Object> object(String kind, String name, Policy policy, RuleSet.Entry entry) {
        RuleDefinition rule = entry.rule().definition();
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        metadata.put("labels", Map.of("app.kubernetes.io/managed-by", "kube-safeguard", "safeguard.dev/rule", rule.id()));
        Map<String, Object> annotations = new LinkedHashMap<>();
        annotations.put("safeguard.dev/title", rule.title());
        annotations.put("safeguard.dev/category", rule.category().id());
        annotations.put("safeguard.dev/action", entry.action().id());
        annotations.put("safeguard.dev/policy", policy.name() + " (version " + policy.version() + ", mode "
                + policy.mode().id() + ")");
        metadata.put("annotations", annotations);
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("apiVersion", API_VERSION);
        object.put("kind", kind);
        object.put("metadata", metadata);
        return object;
    }

    /** What the API server does with a violation, for each disposition the engine gives it. */
    static List<String> validationActions(Disposition disposition) {
        return switch (disposition) {
            case DENY -> List.of("Deny");
            case WOULD_DENY -> List.of("Warn", "Audit");
            case WARN -> List.of("Warn");
            case AUDIT -> List.of("Audit");
        };
    }

    private static List<Map<String, Object>> resourceRules(List<String> kinds) {
        Map<String, Map<String, Set<String>>> byGroup = new TreeMap<>();
        for (String kind : kinds) {
            ApiResource resource = ApiResource.of(kind).orElseThrow();
            byGroup.computeIfAbsent(resource.group(), group -> new TreeMap<>())
                    .computeIfAbsent(resource.version(), version -> new TreeSet<>())
                    .add(resource.plural());
        }
        List<Map<String, Object>> rules = new ArrayList<>();
        byGroup.forEach((group, versions) -> versions.forEach((version, resources) -> {
            Map<String, Object> rule = new LinkedHashMap<>();
            rule.put("apiGroups", List.of(group));
            rule.put("apiVersions", List.of(version));
            rule.put("operations", List.of("CREATE", "UPDATE"));
            rule.put("resources", List.copyOf(resources));
            rules.add(rule);
        }));
        return rules;
    }

    private static List<Map<String, Object>> matchConditions(RuleSet.Entry entry, RuleDefinition rule,
            Ownership ownership) {
        List<Map<String, Object>> conditions = new ArrayList<>();
        String annotations = "object.metadata.annotations";
        conditions.add(Map.of("name", "not-exempt", "expression",
                "!(has(object.metadata.annotations)"
                        + " && '" + PolicyEngine.EXEMPT_ANNOTATION + "' in " + annotations
                        + " && '" + PolicyEngine.EXEMPT_REASON_ANNOTATION + "' in " + annotations
                        + " && " + annotations + "['" + PolicyEngine.EXEMPT_REASON_ANNOTATION + "'].trim() != ''"
                        + " && " + annotations + "['" + PolicyEngine.EXEMPT_ANNOTATION + "'].split(',')"
                        + ".exists(id, id.trim() == '" + rule.id() + "'))"));
        // The webhook lets a controller-made object inherit its owner's verdicts after checking the identity, the
        // owner and its template. A policy can check only the first (it cannot look the owner up): objects
        // the trusted controller makes are left to the policy's judgement of their owner.
        List<String> owned = new ArrayList<>();
        for (String kind : rule.match().kinds()) {
            for (String owner : new TreeSet<>(ownership.ownerKinds().keySet())) {
                if (ownership.inherits(kind, owner) && rule.match().kinds().contains(owner)) {
                    owned.add("(object.kind == " + CelLiteral.string(kind) + " && o.kind == " + CelLiteral.string(owner)
                            + " && has(request.userInfo.username) && request.userInfo.username in "
                            + celList(new TreeSet<>(ownership.trustedUsernames(kind, owner))) + ")");
                }
            }
        }
        if (!owned.isEmpty()) {
            conditions.add(Map.of("name", "not-made-by-a-trusted-controller", "expression",
                    "!(has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(o, "
                            + "has(o.controller) && o.controller && has(o.kind) && ("
                            + String.join(" || ", owned) + ")))"));
        }
        return conditions;
    }

    /**
     * The VAP variables the rule reads, each computed from the object as {@link Workload} computes it. They
     * read dyn(object): a policy matches several kinds, the pod spec sits at a different path in each, and the
     * API server's per-kind type check would otherwise warn about the paths of the other kinds.
     */
    private static List<Map<String, Object>> variables(RuleSet.Entry entry, List<String> kinds, Set<String> free,
            Set<String> containerFields) {
        Set<String> needed = new LinkedHashSet<>();
        for (String name : DERIVED) {
            if (free.contains(name) || ("podSpec".equals(name) && free.contains("containers"))) {
                needed.add(name);
            }
        }
        List<Map<String, Object>> variables = new ArrayList<>();
        for (String name : needed) {
            String expression = switch (name) {
                case "params" -> CelLiteral.of(entry.params());
                case "podSpec" -> byKind(kinds, kind -> Workload.podSpecPath(kind).isEmpty() ? "{}"
                        : OBJECT + "." + Workload.podSpecPath(kind));
                case "podSpecPath" -> byKind(kinds, kind -> CelLiteral.string(Workload.podSpecPath(kind)));
                case "podLabels" -> byKind(kinds, kind -> {
                    String path = Workload.podSpecPath(kind);
                    if (path.isEmpty()) {
                        return "{}";
                    }
                    // the pod's metadata sits beside its spec, as Workload reads it
                    String metadata = OBJECT + "." + path.substring(0, path.length() - "spec".length()) + "metadata";
                    return "has(" + metadata + ".labels) ? " + metadata + ".labels : {}";
                });
                case "containers" -> containers(containerFields);
                case "replicas" -> byKind(kinds, kind -> "Pod".equals(kind) ? "1"
                        : Workload.defaultsReplicas(kind)
                                ? "(has(" + OBJECT + ".spec.replicas) ? " + OBJECT + ".spec.replicas : 1)" : "0");
                default -> throw new IllegalStateException(name);
            };
            variables.add(variable(name, expression));
        }
        return variables;
    }

    /**
     * The value for each of the rule's kinds, as one conditional on object.kind over the distinct values
     * (no conditional when every kind has the same value).
     */
    private static String byKind(List<String> kinds, Function<String, String> value) {
        Map<String, String> kindsByValue = new LinkedHashMap<>();
        for (String kind : kinds) {
            kindsByValue.merge(value.apply(kind), CelLiteral.string(kind), (a, b) -> a + ", " + b);
        }
        List<Map.Entry<String, String>> values = new ArrayList<>(kindsByValue.entrySet());
        String expression = values.get(values.size() - 1).getKey();
        for (int i = values.size() - 2; i >= 0; i--) {
            expression = "object.kind in [" + values.get(i).getValue() + "] ? " + values.get(i).getKey() + " : "
                    + expression;
        }
        return expression;
    }

    /**
     * Init, app and ephemeral containers, each marked with its type (and, when the rule reads it, its label) as the
     * engine marks them, carrying the fields the rule reads (absent fields stay absent, so has() means the same), and a name for a container
     * without one ({@code <app container>}; the API server rejects nameless containers before validating
     * admission runs, so the engine's numbered label is never needed there).
     */
    private static String containers(Set<String> fields) {
        List<String> parts = new ArrayList<>();
        for (String[] list : new String[][] {{"initContainers", "init"}, {"containers", "app"},
                {"ephemeralContainers", "ephemeral"}}) {
            // dyn() on every value: Kubernetes requires the values of a map literal to share one type.
            StringBuilder element = new StringBuilder("{'type': dyn('").append(list[1])
                    .append("'), 'name': dyn(has(c.name) ? c.name : '<").append(list[1]).append(" container>')");
            if (fields.contains("label")) {
                // as Workload labels it: the name, with the type for init and ephemeral containers
                element.append(", 'label': dyn(has(c.name) ? c.name").append(list[1].equals("app") ? ""
                        : " + ' (" + list[1] + ")'").append(" : '<").append(list[1]).append(" container>')");
            }
            for (String field : fields) {
                if (!field.equals("type") && !field.equals("name") && !field.equals("label")) {
                    element.append(", ?").append(CelLiteral.string(field)).append(": c.?").append(field);
                }
            }
            element.append('}');
            parts.add("(has(variables.podSpec." + list[0] + ") ? variables.podSpec." + list[0] + ".map(c, "
                    + element + ") : [])");
        }
        return String.join("\n+ ", parts);
    }

    private static String celList(Set<String> values) {
        return values.stream().map(CelLiteral::string).collect(Collectors.joining(", ", "[", "]"));
    }
}
