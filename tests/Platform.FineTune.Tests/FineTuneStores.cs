using Platform.LocalInfra;
using Platform.TestKit;

namespace Platform.FineTune.Tests;

/// <summary>
/// Real PostgreSQL and Redis plus a models folder holding stories260K (a symlink to the shared
/// test data, never a copy) and a data folder, for one collection of host tests.
/// </summary>
public class FineTuneStores : IAsyncLifetime
{
    public const string BaseModel = "stories260K";

    public PostgresFixture Postgres { get; } = new();

    public RedisFixture Redis { get; } = new();

    public string Root { get; } = Directory.CreateTempSubdirectory("platform-finetune-").FullName;

    public string ModelsDir => Path.Combine(Root, "models");

    public string DataDir => Path.Combine(Root, "data");

    public static string SharedModel => Path.Combine(RepoLayout.Find().TestDataDir, "models", "stories260K-hf");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ModelsDir);
        Directory.CreateDirectory(DataDir);
        Directory.CreateSymbolicLink(Path.Combine(ModelsDir, BaseModel), SharedModel);
        await Task.WhenAll(Postgres.InitializeAsync(), Redis.InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(Postgres.DisposeAsync(), Redis.DisposeAsync());
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Stores for the API tests (the worker is off there, so their jobs stay where they are).</summary>
public sealed class ApiStores : FineTuneStores;

/// <summary>Stores for the training tests (their own database: the worker claims every queued job it sees).</summary>
public sealed class TrainingStores : FineTuneStores;

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiStores>
{
    public const string Name = "finetune-api";
}

[CollectionDefinition(Name)]
public sealed class TrainingCollection : ICollectionFixture<TrainingStores>
{
    public const string Name = "finetune-training";
}
