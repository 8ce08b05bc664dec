using Microsoft.Extensions.Options;
using Platform.Scheduling;
using Platform.Services.Scheduler.Pool;

namespace Platform.Services.Scheduler;

/// <summary>
/// Checks what data annotations cannot: quotas listed twice or for no tenant, the configured inventory and the local
/// NVLink groups. A failure stops the start (ValidateOnStart) with every problem named by its setting.
/// </summary>
public sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
    {
        var problems = new List<string>();
        for (var i = 0; i < options.Quotas.Count; i++)
        {
            var quota = options.Quotas[i];
            if (quota.TenantId == Guid.Empty)
            {
                problems.Add($"Scheduler:Quotas:{i}: TenantId is required");
                continue;
            }
            var first = options.Quotas.FindIndex(q => q.TenantId == quota.TenantId);
            if (first < i)
            {
                var same = options.Quotas[first].GuaranteedGib == quota.GuaranteedGib && options.Quotas[first].BorrowingLimitGib == quota.BorrowingLimitGib;
                problems.Add($"Scheduler:Quotas:{i}: tenant {quota.TenantId} already has a quota at Scheduler:Quotas:{first}" +
                    (same ? " (a duplicate entry)" : " with different figures (conflicting entries)") + "; keep one entry per tenant");
            }
        }
        foreach (var check in new Action[] { () => ConfiguredInventory.Nodes(options), () => ConfiguredInventory.LocalNvLinkGroups(options) })
        {
            try
            {
                check();
            }
            catch (SchedulingInputException e)
            {
                problems.Add(e.Message);
            }
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
