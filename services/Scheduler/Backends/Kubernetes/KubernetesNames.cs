using System.Security.Cryptography;
using System.Text;
using Platform.Scheduling.Workloads;

namespace Platform.Services.Scheduler.Backends.Kubernetes;

/// <summary>Object names, labels and annotations that tie Pods and Jobs to placements.</summary>
public static class KubernetesNames
{
    /// <summary>Label on every object the scheduler owns (the list selector).</summary>
    public const string ManagedBy = "app.kubernetes.io/managed-by";

    /// <summary>Value of <see cref="ManagedBy"/>.</summary>
    public const string ManagedByValue = "platform-scheduler";

    /// <summary>Label: the object's name, also on a Job's pod template.</summary>
    public const string WorkloadLabel = "platform/workload";

    /// <summary>Label: owning tenant.</summary>
    public const string TenantLabel = "platform/tenant";

    /// <summary>Label: priority class name.</summary>
    public const string PriorityLabel = "platform/priority";

    /// <summary>Label: workload kind.</summary>
    public const string KindLabel = "platform/kind";

    /// <summary>Label on a scaled replica's Pod: the model it serves (a label-safe form of the name).</summary>
    public const string ModelLabel = "platform/model";

    /// <summary>Annotation: the workload id (ids may hold characters labels cannot).</summary>
    public const string WorkloadIdAnnotation = "platform/workload-id";

    /// <summary>Annotation: placed device ids.</summary>
    public const string DevicesAnnotation = "platform/device-ids";

    /// <summary>Annotation: hash of the placement; a different hash on a live object is drift.</summary>
    public const string PlacementAnnotation = "platform/placement-hash";

    /// <summary>Annotation: the tenant holds it beyond its guarantee.</summary>
    public const string BorrowingAnnotation = "platform/borrowing";

    /// <summary>Selector of the scheduler's objects.</summary>
    public const string Selector = ManagedBy + "=" + ManagedByValue;

    /// <summary>
    /// A DNS-1123 name that depends on the workload id only, so a restarted scheduler finds its objects
    /// again: <c>replica-</c> or <c>finetune-</c>, a readable slug, and 8 hex of the id's SHA-256.
    /// </summary>
    public static string ObjectName(WorkloadRequest request)
    {
        var prefix = request.Kind == WorkloadKind.InferenceReplica ? "replica" : "finetune";
        var slug = new StringBuilder();
        foreach (var c in request.Id.ToLowerInvariant())
        {
            slug.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }
        var readable = string.Join('-', slug.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
        var hash = Hex(request.Id)[..8];
        var room = 63 - prefix.Length - hash.Length - 2;
        readable = readable.Length > room ? readable[..room].TrimEnd('-') : readable;
        return readable.Length == 0 ? $"{prefix}-{hash}" : $"{prefix}-{readable}-{hash}";
    }

    /// <summary>PriorityClass of a class: <paramref name="prefix"/> + <c>enterprise-guaranteed</c> etc.</summary>
    public static string PriorityClassName(PriorityClass priority, string prefix) => prefix + priority.ToName();

    /// <summary>Hash of everything that, if changed, makes a live object wrong for its placement.</summary>
    public static string PlacementHash(DesiredWorkload d) =>
        Hex(string.Join('|', d.Id, d.NodeId, string.Join(',', d.Workload.DeviceIds), d.Workload.ChargedBytesPerDevice,
            d.Request.Kind, d.Request.Priority, d.Request.TenantId) + (d.Model is { } m ? $"|{m.Name}|{m.KvCacheBytes}" : ""))[..16];

    /// <summary>A valid label value for <paramref name="text"/>: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric.</summary>
    public static string LabelValue(string text)
    {
        var safe = string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));
        safe = safe.Length > 63 ? safe[..63] : safe;
        return safe.Trim('-', '_', '.');
    }

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
