using Platform.LocalInfra;

namespace Platform.Cli;

/// <summary>Per-service settings `./platform up` adds on top of the catalog's stores and URLs.</summary>
internal static class ServiceEnvironment
{
    public static IEnumerable<KeyValuePair<string, string?>> Extra(RepoLayout repo, ServiceSpec service)
    {
        var secrets = LocalSecrets.LoadOrCreate(repo);
        yield return new("Platform__InternalSecret", secrets.InternalSecret);
        if (service.Name == "gateway")
        {
            yield return new("Gateway__AdminToken", secrets.AdminToken);
            yield return new("Gateway__KeyHashSecret", secrets.KeyHashSecret);
        }
        if (service.Name == "finetune")
        {
            // Training waits for memory granted by the pool scheduler, as in a cluster.
            yield return new("FineTune__Pool__Mode", "scheduler");
        }
        yield return new("Platform__ModelsDir", StarterModel.ModelsDir(repo));
        yield return new("Platform__DataDir", Path.Combine(repo.StateDir, "data", service.Name));
    }
}
