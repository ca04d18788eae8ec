package dev.safeguard.cli;

import dev.safeguard.rules.Action;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.Notice;
import dev.safeguard.rules.RuleResult;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.Subject;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code safeguard check}: the webhook's rules and policy over manifest files, before they reach a cluster.
 * Starts no server: only the engine, a YAML reader and a report writer.
 */
@Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Check Kubernetes manifests against the safeguard rules, as the admission webhook would.",
                "Reads files, directories (recursively: *.yaml, *.yml, *.json) and '-' for standard input: "
                        + "multi-document YAML (helm template, kustomize build), JSON and kind: List.",
                "Rules that need other objects (a PodDisruptionBudget for a Deployment, Services sharing a "
                        + "selector) see the other objects of the same run."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:nothing at or above the --fail-on level",
                "1:violations at or above the --fail-on level",
                "2:a file cannot be read or parsed, a bad policy, or a usage error"})
final class CheckCommand implements Callable<Integer> {

    /** Report formats. */
    enum Format {
        TEXT, JSON, SARIF, JUNIT
    }

    /** When the text report uses colour. */
    enum Color {
        AUTO, ALWAYS, NEVER
    }

    @CommandLine.ParentCommand
    SafeguardCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "PATH",
            description = "Manifest files, directories, or '-' for standard input (or --cluster).")
    List<String> paths;

    @Option(names = "--cluster",
            description = "Judge what the kubeconfig's cluster runs now instead of files (read-only: one LIST per kind).")
    boolean cluster;

    @Option(names = "--context", paramLabel = "NAME",
            description = "With --cluster: the kubeconfig context to use (default: the current one).")
    String context;

    @Mixin
    PolicyOption policyOption;

    @Mixin
    JudgementOptions judgement;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default, grouped by object), json, sarif (2.1.0, for code scanning) "
                    + "or junit (XML, for CI test reports).")
    Format format;

    @Option(names = "--fail-on", paramLabel = "LEVEL", defaultValue = "deny",
            description = "Exit 1 when a violation is at or above this level: deny (default), warn or audit. "
                    + "In audit mode would-denies count as warn.")
    Action failOn;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
            description = "The namespace the manifests will be applied to: objects without metadata.namespace "
                    + "are judged as in NS. Without it they are in an unknown namespace (not 'default'). "
                    + "With --cluster: only this namespace.")
    String namespace;

    @Option(names = "--stdin-name", paramLabel = "NAME", defaultValue = "<stdin>",
            description = "How reports name standard input, e.g. the chart path for SARIF (default: ${DEFAULT-VALUE}).")
    String stdinName;

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "Colour in the text report: auto (on a terminal unless NO_COLOR is set), always, never.")
    Color color;

    @Override
    public Integer call() throws RuleLoadException, ManifestException, IOException {
        if (failOn == Action.OFF) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--fail-on must be deny, warn or audit, not off");
        }
        Inputs.validate(spec, paths, cluster, context);
        PolicyEngine engine = judgement.engine(); // a bad --at is a usage error before anything is read
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Compiling the rules is most of a short run: do it while the manifests are read.
        CompletableFuture<Policy> loading = Loading.start("safeguard-policy-loader", policyOption::load);
        ManifestReader.Bundle bundle;
        Policy policy;
        if (cluster) {
            policy = Loading.join(loading); // the policy says which kinds to read
            bundle = new ClusterReader(blankToNull(context), blankToNull(namespace)).read(policy);
        } else {
            try {
                bundle = new ManifestReader(blankToNull(namespace), parent.stdin(), stdinName).read(paths);
            } catch (ManifestException e) {
                Loading.join(loading); // a bad policy is reported first, whatever the manifests
                throw e;
            }
            policy = Loading.join(loading);
        }
        CheckReport report = check(policy, bundle, engine);

        // Machine-readable formats own stdout; what a person should still read goes to stderr.
        for (String skipped : bundle.skipped()) {
            err.println("safeguard: " + skipped);
        }
        if (format != Format.TEXT) {
            for (CheckReport.ObjectResult result : report.results()) {
                Decision decision = result.decision();
                for (Notice notice : decision.notices()) {
                    err.println("safeguard: " + result.manifest().location() + ": " + notice.line());
                }
                for (RuleResult failed : decision.errors()) {
                    err.println("safeguard: " + result.manifest().location() + ": "
                            + RuleResult.line(failed.ruleId(), "rule error: " + failed.error()));
                }
            }
        }
        err.flush();
        switch (format) {
            case TEXT -> new TextReport(useColor()).write(report, out);
            case JSON -> JsonReport.write(report, out);
            case SARIF -> SarifReport.write(report, out);
            case JUNIT -> JunitReport.write(report, out);
        }
        out.flush();
        return report.failed() ? SafeguardCommand.VIOLATIONS : SafeguardCommand.OK;
    }

    /** Decides every object, on every core; results keep the order of the input. */
    CheckReport check(Policy policy, ManifestReader.Bundle bundle, PolicyEngine engine) {
        List<Manifest> manifests = bundle.manifests();
        RelatedObjects related = new BundleRelatedObjects(manifests, judgement.namespaceLabels());
        List<CheckReport.ObjectResult> results = IntStream.range(0, manifests.size()).parallel()
                .mapToObj(i -> {
                    Manifest manifest = manifests.get(i);
                    Subject subject = new Subject(manifest.object(), null, "CREATE", manifest.namespace(), Map.of(),
                            false, Subject.Origin.MANIFEST);
                    return new CheckReport.ObjectResult(manifest, engine.decide(policy, subject, related));
                })
                .toList();
        return new CheckReport(policy, failOn, bundle, results);
    }

    private boolean useColor() {
        return switch (color) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> System.console() != null && (System.getenv("NO_COLOR") == null || System.getenv("NO_COLOR").isEmpty());
        };
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
