package dev.safeguard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyDates;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleSet;
import dev.safeguard.rules.Subject;
import dev.safeguard.rules.RuleResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code safeguard readiness}: before switching enforcement on, what it would deny today, per rule and namespace,
 * over what a cluster runs ({@code --cluster}) or over manifests. A rule is ready to enforce in a namespace when
 * nothing there would be denied by it (the cluster's dashboard adds the last day's admission would-denies).
 */
@Command(name = "readiness", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"What enforcing would deny today: per rule (each set to deny) and namespace, and for the "
                + "whole policy switched to enforce mode, over what a cluster runs or over manifests.",
                "Exemptions, excluded namespaces and inherited verdicts count as in the webhook."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the report was printed", "2:bad input, a bad policy, or a usage error"})
final class ReadinessCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    SafeguardCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "PATH", description = "Manifest files, directories, or '-' (or --cluster).")
    List<String> paths;

    @Option(names = "--cluster", description = "Judge what the kubeconfig's cluster runs now (read-only).")
    boolean cluster;

    @Option(names = "--context", paramLabel = "NAME", description = "With --cluster: the kubeconfig context.")
    String context;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "With --cluster: only this namespace. With files: the namespace of objects that name none.")
    String namespace;

    @Mixin
    PolicyOption policyOption;

    @Mixin
    JudgementOptions judgement;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    String output;

    /** Objects that would be denied, by namespace ("" for objects without one), each named once. */
    private record Denials(Map<String, List<String>> byNamespace) {
        Denials() {
            this(new TreeMap<>());
        }

        void add(String namespace, String object) {
            byNamespace.computeIfAbsent(namespace == null ? "" : namespace, key -> new ArrayList<>()).add(object);
        }

        int total() {
            return byNamespace.values().stream().mapToInt(List::size).sum();
        }
    }

    @Override
    public Integer call() throws RuleLoadException, ManifestException, IOException {
        Inputs.validate(spec, paths, cluster, context);
        if (!output.equals("text") && !output.equals("json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--output must be text or json, not " + output);
        }
        Policy policy = policyOption.load();
        String namespaceOption = namespace == null || namespace.isBlank() ? null : namespace.strip();
        ManifestReader.Bundle bundle = cluster
                ? new ClusterReader(context == null || context.isBlank() ? null : context.strip(), namespaceOption).read(policy)
                : new ManifestReader(namespaceOption, parent.stdin(), "<stdin>").read(paths);

        Policy enforced = policy.withMode(Mode.ENFORCE);
        // Every enabled rule denying, now, in every namespace's policy: what each rule alone would deny.
        Policy strictest = enforced.withRules(ruleSet -> {
            RuleSet everyRuleDenies = ruleSet;
            for (RuleSet.Entry entry : ruleSet.entries()) {
                if (entry.action() != Action.OFF) {
                    everyRuleDenies = everyRuleDenies.withAction(entry.id(), Action.DENY);
                }
            }
            return everyRuleDenies;
        });
        RelatedObjects related = new BundleRelatedObjects(bundle.manifests(), judgement.namespaceLabels());
        PolicyEngine engine = judgement.engine();
        Denials wholePolicy = new Denials();
        Map<String, Denials> byRule = new TreeMap<>();
        for (RuleSet.Entry entry : policy.rules().entries()) {
            if (entry.action() != Action.OFF) {
                byRule.put(entry.id(), new Denials());
            }
        }
        for (Manifest manifest : bundle.manifests()) {
            Subject subject = new Subject(manifest.object(), null, "CREATE", manifest.namespace(), Map.of(), false,
                    Subject.Origin.MANIFEST);
            Decision asIs = engine.decide(enforced, subject, related);
            if (!asIs.allowed()) {
                wholePolicy.add(manifest.namespace(), asIs.objectReference());
            }
            for (RuleResult denied : engine.decide(strictest, subject, related).denied()) {
                byRule.computeIfAbsent(denied.ruleId(), id -> new Denials()).add(manifest.namespace(), asIs.objectReference());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        for (String skipped : bundle.skipped()) {
            spec.commandLine().getErr().println("safeguard: " + skipped);
        }
        if (output.equals("json")) {
            writeJson(out, policy, bundle, wholePolicy, byRule);
        } else {
            writeText(out, policy, bundle, wholePolicy, byRule);
        }
        out.flush();
        return SafeguardCommand.OK;
    }

    private static void writeText(PrintWriter out, Policy policy, ManifestReader.Bundle bundle, Denials wholePolicy,
            Map<String, Denials> byRule) {
        out.printf("Enforcement readiness of policy %s (mode %s) over %d objects%n%n", policy.name(), policy.mode().id(),
                bundle.manifests().size());
        if (wholePolicy.total() == 0) {
            out.println("Switching the policy to enforce mode (each rule keeping its action) would deny nothing.");
        } else {
            out.printf("Switching the policy to enforce mode (each rule keeping its action) would deny %d object%s:%n",
                    wholePolicy.total(), wholePolicy.total() == 1 ? "" : "s");
            wholePolicy.byNamespace().forEach((ns, objects) -> out.printf("  %-24s %4d  %s%n", label(ns), objects.size(),
                    examples(objects)));
        }
        out.println();
        out.println("Each rule set to deny, in enforce mode, would deny:");
        out.printf("  %-28s %-7s %-24s %10s  %s%n", "RULE", "ACTION", "NAMESPACE", "WOULD DENY", "OBJECTS");
        List<String> ready = new ArrayList<>();
        byRule.forEach((rule, denials) -> {
            if (denials.total() == 0) {
                ready.add(rule);
                return;
            }
            String action = actionLabel(policy, rule);
            denials.byNamespace().forEach((ns, objects) -> out.printf("  %-28s %-7s %-24s %10d  %s%n", rule, action,
                    label(ns), objects.size(), examples(objects)));
        });
        out.println();
        out.println(ready.isEmpty() ? "No rule is ready to deny everywhere yet."
                : "Ready to deny everywhere today (nothing would be denied): " + String.join(", ", ready));
        List<Policy.ScheduledEnforcement> scheduled = policy.withMode(Mode.ENFORCE).scheduledEnforcements();
        if (!scheduled.isEmpty()) {
            out.println();
            out.println("Scheduled enforcement (enforceFrom):");
            for (Policy.ScheduledEnforcement dated : scheduled) {
                Denials denials = byRule.getOrDefault(dated.ruleId(), new Denials());
                out.printf("  %-28s denies from %s in %s: %d object%s would be denied today%n", dated.ruleId(),
                        PolicyDates.format(dated.enforceFrom()), dated.scope(), denials.total(),
                        denials.total() == 1 ? "" : "s");
            }
        }
    }

    /** The rule's action in the policy's own rules: "deny from 2027-01-15" for a dated deny. */
    private static String actionLabel(Policy policy, String rule) {
        return policy.rules().find(rule).map(entry -> entry.action().id() + (entry.action() == Action.DENY
                && entry.enforceFrom() != null ? " from " + PolicyDates.format(entry.enforceFrom()) : "")).orElse("-");
    }

    private static void writeJson(PrintWriter out, Policy policy, ManifestReader.Bundle bundle, Denials wholePolicy,
            Map<String, Denials> byRule) throws IOException {
        ObjectNode root = JsonReport.JSON.createObjectNode();
        root.put("policy", policy.name()).put("mode", policy.mode().id()).put("objects", bundle.manifests().size());
        ObjectNode whole = root.putObject("enforceMode");
        whole.put("wouldDeny", wholePolicy.total());
        ObjectNode wholeNamespaces = whole.putObject("namespaces");
        wholePolicy.byNamespace().forEach(wholeNamespaces::putPOJO);
        ObjectNode rules = root.putObject("rules");
        byRule.forEach((rule, denials) -> {
            ObjectNode node = rules.putObject(rule);
            node.put("action", policy.rules().find(rule).map(entry -> entry.action().id()).orElse("-"));
            policy.rules().find(rule).map(RuleSet.Entry::enforceFrom)
                    .ifPresent(from -> node.put("enforceFrom", PolicyDates.format(from)));
            node.put("ready", denials.total() == 0);
            node.put("wouldDeny", denials.total());
            ObjectNode namespaces = node.putObject("namespaces");
            denials.byNamespace().forEach(namespaces::putPOJO);
        });
        JsonReport.JSON.writerWithDefaultPrettyPrinter().writeValue(out, root);
        out.println();
    }

    private static String label(String namespace) {
        return namespace.isEmpty() ? "<no namespace>" : namespace;
    }

    private static String examples(List<String> objects) {
        List<String> shown = objects.subList(0, Math.min(3, objects.size()));
        return String.join(", ", shown) + (objects.size() > shown.size() ? ", ... and " + (objects.size() - shown.size())
                + " more" : "");
    }
}
