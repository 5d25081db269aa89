"""Inspectors: what the platform (JobScheduler) and the app's libraries (WorkManager) say."""
