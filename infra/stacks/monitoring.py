"""The application's own metrics in CloudWatch: a dashboard, the alarms on them, the cost budget
and the Slack channel, for the operations stack.

- Metrics: the EMF lines every function writes (`settings.metrics`, namespace
  `Stratigos/<stage>`): optimizations run, trials evaluated, best objective, deployments active,
  orders filled and rejected, forward-test tracking error, stuck runs, what cleanup archived and
  deleted, market data ingested and refused, and model tokens (input, output, cache reads and
  writes) and cost per model and in total.
- Alarms (to the alarm topic, on ALARM and OK): `<prefix>-stuck-runs` (StuckRuns >= 1 in a
  check: a job pending or running past its time), `<prefix>-model-cost-anomaly` (the hour's
  ModelCost above its anomaly band, `cost_anomaly_band` standard deviations) and
  `<prefix>-token-spike` (the quarter hour's tokens above their band).
- The stuck-run check: the cleanup function every 15 minutes with `{"retention": false}`.
- Dashboard `<prefix>`: business metrics, model tokens and cost, the functions' errors.
- Budget `<prefix>-monthly` (when `monthly_budget_usd`): the account's monthly cost, the alarm
  topic told at 80 % of actual and 100 % of forecast spend.
- Slack (when `slack_workspace_id` and `slack_channel_id`): AWS Chatbot posts the topic's
  notifications to the channel; e-mail stays as `alarm_email` says.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_xray as xray
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import metrics_namespace
from infra.stacks.queues import events_target

STUCK_CHECK = Duration.minutes(15)
BUSINESS = (
    ("OptimizationsRun", "Sum"),
    ("TrialsEvaluated", "Sum"),
    ("BestObjective", "Maximum"),
    ("DeploymentsActive", "Maximum"),
    ("OrdersFilled", "Sum"),
    ("OrdersRejected", "Sum"),
    ("ForwardTestTrackingError", "Average"),
    ("StuckRuns", "Maximum"),
    ("MarketDataIngested", "Sum"),
    ("MarketDataRefused", "Sum"),
)
"""The dashboard's business metrics and the statistic each is read with."""
TOKENS = ("InputTokens", "OutputTokens", "CacheReadTokens", "CacheWriteTokens")


class Monitoring(Construct):
    """Dashboard, metric alarms, stuck-run check, budget and Slack (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        topic: sns.Topic,
        cleanup: lambda_.IFunction,
        dead_letters: sqs.IQueue,
        functions: dict[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.topic = topic
        self.namespace = metrics_namespace(config)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.stuck_check = events.Rule(
            self,
            "StuckRunCheck",
            rule_name=f"{config.prefix}-stuck-run-check",
            description="Counts stuck runs (and re-announces stale jobs) every 15 minutes",
            schedule=events.Schedule.rate(STUCK_CHECK),
            targets=[
                events_target(
                    cleanup, dead_letters, events.RuleTargetInput.from_object({"retention": False})
                )
            ],
        )
        self._alarms()
        self.dashboard = self._dashboard(functions)
        if config.monthly_budget_usd is not None:
            self.budget = self._budget(config.monthly_budget_usd)
        if config.slack_workspace_id and config.slack_channel_id:
            self.slack = chatbot.SlackChannelConfiguration(
                self,
                "Slack",
                slack_channel_configuration_name=f"{config.prefix}-alarms",
                slack_workspace_id=config.slack_workspace_id,
                slack_channel_id=config.slack_channel_id,
                notification_topics=[topic],
                logging_level=chatbot.LoggingLevel.ERROR,
            )

    def metric(self, name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
        """The EMF metric `name` of the stage without dimensions (over every model for the
        model metrics, which are also published by Model)."""
        return cloudwatch.Metric(
            namespace=self.namespace, metric_name=name, statistic=statistic, period=period
        )

    def _alarms(self) -> None:
        band = self.config.cost_anomaly_band
        self._add(
            "stuck-runs",
            cloudwatch.Alarm(
                self,
                "StuckRuns",
                metric=self.metric("StuckRuns", "Maximum", STUCK_CHECK),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="A job waited or ran past its time (its worker died or its "
                "announcement was lost): cleanup announced it again",
            ),
        )
        for name, metric, description in (
            (
                "model-cost-anomaly",
                self.metric("ModelCost", "Sum", Duration.hours(1)),
                "The hour's model cost (list prices) is above its usual band",
            ),
            (
                "token-spike",
                cloudwatch.MathExpression(
                    expression=" + ".join(f"FILL(t{i}, 0)" for i in range(len(TOKENS))),
                    using_metrics={
                        f"t{i}": self.metric(token, "Sum", Duration.minutes(15))
                        for i, token in enumerate(TOKENS)
                    },
                    label="tokens",
                    period=Duration.minutes(15),
                ),
                "The quarter hour's model tokens are above their usual band",
            ),
        ):
            self._add(
                name,
                cloudwatch.AnomalyDetectionAlarm(
                    self,
                    name.title().replace("-", ""),
                    metric=metric,
                    std_devs=band,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    alarm_description=description,
                ),
            )

    def _add(self, name: str, alarm: cloudwatch.Alarm) -> None:
        cfn: cloudwatch.CfnAlarm = alarm.node.default_child
        cfn.alarm_name = f"{self.config.prefix}-{name}"
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        self.alarms[name] = alarm

    def _dashboard(self, functions: dict[str, lambda_.IFunction]) -> cloudwatch.Dashboard:
        day = Duration.hours(1)
        widgets: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(
                title=name, left=[self.metric(name, statistic, day)], width=6, height=5
            )
            for name, statistic in BUSINESS
        ]
        widgets.append(
            cloudwatch.GraphWidget(
                title="Model tokens",
                left=[self.metric(t, "Sum", day) for t in TOKENS],
                width=12,
                height=6,
            )
        )
        widgets.append(
            cloudwatch.GraphWidget(
                title="Model cost (USD, list prices)",
                left=[self.metric("ModelCost", "Sum", day)],
                width=12,
                height=6,
            )
        )
        widgets.append(
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[fn.metric_errors(period=day) for fn in functions.values()],
                width=24,
                height=6,
            )
        )
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.config.prefix)
        for start in range(0, len(widgets), 4):
            dashboard.add_widgets(*widgets[start : start + 4])
        return dashboard

    def _budget(self, limit: float) -> budgets.CfnBudget:
        """The account's monthly cost budget, telling the alarm topic (which lets AWS Budgets
        publish to it)."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsPublish",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(
                subscription_type="SNS", address=self.topic.topic_arn
            )
        ]
        return budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{self.config.prefix}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=limit, unit="USD"),
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                for kind, threshold in (("ACTUAL", 80), ("FORECASTED", 100))
            ],
        )


def transaction_search(scope: Construct, construct_id: str) -> xray.CfnTransactionSearchConfig:
    """CloudWatch Transaction Search for the account and region: X-Ray may write spans to the
    `aws/spans` (and Application Signals') log groups, and 1% of spans are indexed."""
    stack = Stack.of(scope)
    source = f"arn:{stack.partition}:xray:{stack.region}:{stack.account}:*"
    groups = [
        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:{group}:*"
        for group in ("aws/spans", "/aws/application-signals/data")
    ]
    document = iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="TransactionSearchXRayAccess",
                principals=[iam.ServicePrincipal("xray.amazonaws.com")],
                actions=["logs:PutLogEvents"],
                resources=groups,
                conditions={
                    "ArnLike": {"aws:SourceArn": source},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        ]
    )
    policy = logs.CfnResourcePolicy(
        scope,
        f"{construct_id}LogsPolicy",
        policy_name="TransactionSearchAccess",
        policy_document=stack.to_json_string(document.to_json()),
    )
    config = xray.CfnTransactionSearchConfig(scope, construct_id, indexing_percentage=1)
    config.node.add_dependency(policy)
    return config
