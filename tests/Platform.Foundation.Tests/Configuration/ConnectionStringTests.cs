using Npgsql;
using Platform.Data;
using Platform.ServiceDefaults;

namespace Platform.Foundation.Tests.Configuration;

public sealed class ConnectionStringTests
{
    [Fact]
    public void A_postgres_url_becomes_npgsql_keywords()
    {
        var cs = new NpgsqlConnectionStringBuilder(PostgresConnectionString.FromUrlOrKeywords("postgres://app:p%40ss@db.internal:6543/platform?sslmode=require"));
        Assert.Equal("db.internal", cs.Host);
        Assert.Equal(6543, cs.Port);
        Assert.Equal("app", cs.Username);
        Assert.Equal("p@ss", cs.Password);
        Assert.Equal("platform", cs.Database);
        Assert.Equal(SslMode.Require, cs.SslMode);
    }

    [Fact]
    public void Npgsql_keywords_pass_through()
    {
        var cs = new NpgsqlConnectionStringBuilder(PostgresConnectionString.FromUrlOrKeywords("Host=h;Port=1;Username=u"));
        Assert.Equal("h", cs.Host);
        Assert.Equal(1, cs.Port);
    }

    [Theory]
    [InlineData("redis://cache:6380", "cache:6380")]
    [InlineData("redis://:secret@cache:6379/2", "cache:6379,password=secret,defaultDatabase=2")]
    [InlineData("rediss://user:pw@cache:6379", "cache:6379,user=user,password=pw,ssl=true")]
    [InlineData("localhost:6379,abortConnect=false", "localhost:6379,abortConnect=false")]
    public void Redis_urls_become_stackexchange_options(string url, string expected) =>
        Assert.Equal(expected, RedisConnectionString.FromUrlOrOptions(url));
}
