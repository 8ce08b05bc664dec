namespace Platform.Services.Gateway.Hosting;

/// <summary>
/// Runs the gateway's request code on the socket threads that receive the data, instead of queueing every
/// continuation to the thread pool: Kestrel's <c>UnsafePreferInlineScheduling</c> together with the runtime's
/// inline socket completions, the pair Kestrel's documentation recommends and the ASP.NET Core benchmarks run
/// proxies with. A proxied request crosses four sockets (client, Redis, upstream, client again); on two cores
/// each thread-pool hop waits behind whatever else is queued, and the tail of the added latency was mostly those
/// waits (docs/performance.md, "Gateway"). It is safe because nothing on the request path blocks: Redis,
/// PostgreSQL and the upstream are awaited, and the CPU-heavy background work (the usage batch writer) hops back to
/// the thread pool. <c>Gateway:InlineIoScheduling=false</c> turns it off.
/// </summary>
public static class InlineIoScheduling
{
    private const string RuntimeSwitch = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static WebApplicationBuilder UseInlineIoScheduling(this WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue("Gateway:InlineIoScheduling", true))
        {
            return builder;
        }
        // System.Net.Sockets reads it when its first socket engine starts; no socket exists yet at this point.
        if (Environment.GetEnvironmentVariable(RuntimeSwitch) is null)
        {
            Environment.SetEnvironmentVariable(RuntimeSwitch, "1");
        }
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        return builder;
    }
}
