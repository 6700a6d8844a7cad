"""CloudWatch: metrics, alarms and the monitoring loop that feeds them."""
