using Platform.LocalInfra;

namespace Platform.Foundation.Tests.Launcher;

/// <summary>`./platform up --port-base N --state-dir DIR`: the layout and the state folder, without starting anything.</summary>
public sealed class PlatformPortsTests
{
    [Fact]
    public void Without_a_port_base_the_layout_is_the_catalogs_fixed_ports()
    {
        var ports = PlatformPorts.For(null);
        Assert.Same(PlatformPorts.Default, ports);
        Assert.Null(ports.Base);
        Assert.Equal(ServiceCatalog.Services, ports.Services);
        Assert.Equal(55432, ports.Postgres);
        Assert.Equal(56379, ports.Redis);
        Assert.Equal(5080, ports.Service("gateway").Port);
        var gateway = ServiceCatalog.Services.Single(s => s.Name == "gateway");
        Assert.Equal(ServiceCatalog.EnvironmentFor(gateway, "pg", "redis"), ports.EnvironmentFor(gateway, "pg", "redis"));
    }

    [Fact]
    public void A_port_base_moves_every_port_into_one_block_of_distinct_ports()
    {
        var ports = PlatformPorts.FromBase(21000);
        var all = ports.All.ToList();
        Assert.Equal(ServiceCatalog.Services.Count + 2, all.Distinct().Count());
        Assert.All(all, p => Assert.InRange(p, 21000, 21000 + PlatformPorts.BlockSize - 1));
        Assert.Empty(all.Intersect(PlatformPorts.Default.All));
        Assert.Equal(21000, ports.Service("gateway").Port);
        Assert.Equal(21001, ports.Service("portal").Port);
        Assert.Equal(21011, ports.Service("inference").Port);
        Assert.Equal("http://127.0.0.1:21000", ports.Service("gateway").Url);
        Assert.Equal(ServiceCatalog.Services.Select(s => (s.Name, s.AssemblyName, s.UsesPostgres, s.UsesRedis)),
            ports.Services.Select(s => (s.Name, s.AssemblyName, s.UsesPostgres, s.UsesRedis)));
    }

    [Fact]
    public void Under_a_port_base_each_service_listens_and_finds_the_others_on_the_moved_ports()
    {
        var ports = PlatformPorts.FromBase(30000);
        var env = ports.EnvironmentFor(ServiceCatalog.Services.Single(s => s.Name == "rag"), "pg", "redis");
        Assert.Equal("http://127.0.0.1:30012", env["ASPNETCORE_URLS"]);
        foreach (var other in ports.Services)
        {
            Assert.Equal(other.Url, env[ServiceCatalog.ServiceUrlVariable(other.Name)]);
        }
        Assert.DoesNotContain(env.Values, v => v is not null && v.Contains(":50", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(80)]
    [InlineData(1023)]
    [InlineData(65520)]
    public void A_port_base_whose_block_does_not_fit_is_refused_with_the_range(int portBase)
    {
        var e = Assert.Throws<InfraException>(() => PlatformPorts.FromBase(portBase));
        Assert.Contains($"--port-base must be between {PlatformPorts.MinBase} and {PlatformPorts.MaxBase}", e.Message);
        Assert.Contains(portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void A_state_dir_moves_the_run_state_and_keeps_the_checkout()
    {
        var repo = RepoLayout.Find();
        Assert.Equal(Path.Combine(repo.Root, ".platform"), repo.StateDir);
        var dir = Path.Combine(Path.GetTempPath(), "state-dir-test-" + Guid.NewGuid().ToString("N"));
        var moved = repo.WithStateDir(dir);
        try
        {
            Assert.Equal(repo.Root, moved.Root);
            Assert.Equal(dir, moved.StateDir);
            Assert.Equal(Path.Combine(dir, "run", "state.json"), RunState.PathIn(moved));

            new RunState([new RunningProcess("gateway", 12345)], "pg", 21016, 21017, DateTimeOffset.UnixEpoch, PortBase: 21000).Save(moved);
            Assert.Equal(21000, RunState.Load(moved)!.PortBase);
            Assert.Equal("gateway", Assert.Single(RunState.Load(moved)!.Processes).Name);
            Assert.NotEqual(RunState.PathIn(repo), RunState.PathIn(moved));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_state_file_written_before_port_bases_existed_loads_as_the_fixed_ports()
    {
        var dir = Path.Combine(Path.GetTempPath(), "state-dir-test-" + Guid.NewGuid().ToString("N"));
        var repo = RepoLayout.Find().WithStateDir(dir);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(RunState.PathIn(repo))!);
            File.WriteAllText(RunState.PathIn(repo), """
                {"processes":[{"name":"postgres","pid":1}],"postgresDisplay":"x","postgresPort":55432,"redisPort":56379,"startedAt":"2026-01-01T00:00:00+00:00"}
                """);
            var state = RunState.Load(repo)!;
            Assert.Null(state.PortBase);
            Assert.Same(PlatformPorts.Default, PlatformPorts.For(state.PortBase));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_path_inside_the_checkout_is_shown_relative_and_one_outside_absolute()
    {
        var repo = RepoLayout.Find();
        Assert.Equal(Path.Combine(".platform", "logs"), repo.Display(Path.Combine(repo.StateDir, "logs")));
        Assert.Equal("/tmp/elsewhere/logs", repo.Display("/tmp/elsewhere/logs"));
    }
}
